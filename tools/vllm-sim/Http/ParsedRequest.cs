namespace InferenceMesh.VllmSim.Http;

/// <summary>The parts of an OpenAI request the simulator acts on.</summary>
internal sealed record ParsedRequest(string Model, string? Lora, SimPrompt Prompt, int OutputTokens, bool Stream, bool IncludeUsage, bool Chat);
