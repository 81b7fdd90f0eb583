namespace InferenceMesh.Scheduling;

/// <summary>What every plugin may read about one pick: the pool's endpoints, the request and the shared cost model.</summary>
/// <param name="Endpoints">The pool's endpoints; candidates are indices into it.</param>
/// <param name="TotalBlocks">Prefix blocks of the prompt the match covered (0 = no prefix information).</param>
/// <param name="Adapter">LoRA adapter (the request's target model), or null.</param>
/// <param name="PromptTokens">Estimated prompt tokens.</param>
/// <param name="NowMs">Unix ms of the pick.</param>
/// <param name="Picker">The pipeline, holding the predicted-TTFT cost model and options.</param>
internal readonly record struct PickInputs(
    EndpointState[] Endpoints,
    int TotalBlocks,
    string? Adapter,
    double PromptTokens,
    long NowMs,
    EndpointPicker Picker)
{
    public SchedulerOptions Options => Picker.Options;
}
