using InferenceMesh.Contracts;

namespace InferenceMesh.Bench.Workloads;

/// <summary>One request of a workload, independent of where it will be routed.</summary>
/// <param name="Index">Position in the workload; also the request's identity across policies.</param>
/// <param name="ArrivalMs">Open loop: arrival in ms from the start. Closed loop: ignored (0).</param>
/// <param name="Segments">Prompt content; the sum of their lengths is the prompt length.</param>
/// <param name="OutputTokens">Tokens the server generates.</param>
/// <param name="Model">Model the client asks for (a base model or a LoRA adapter name).</param>
/// <param name="Criticality">InferenceModel band.</param>
/// <param name="Session">Conversation the request belongs to; -1 when independent.</param>
/// <param name="ThinkMs">For session requests after the first: delay after the previous answer of the session.</param>
public sealed record WorkloadRequest(
    int Index,
    double ArrivalMs,
    IReadOnlyList<PromptSegment> Segments,
    int OutputTokens,
    string Model,
    Criticality Criticality,
    int Session = -1,
    double ThinkMs = 0)
{
    /// <summary>Prompt length in tokens.</summary>
    public int InputTokens
    {
        get
        {
            var n = 0;
            for (var i = 0; i < Segments.Count; i++)
            {
                n += Segments[i].Tokens;
            }

            return n;
        }
    }
}
