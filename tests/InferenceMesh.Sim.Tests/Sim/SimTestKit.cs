using InferenceMesh.VllmSim;

namespace InferenceMesh.Sim.Tests.Sim;

/// <summary>Small builders shared by the simulator tests.</summary>
internal static class SimTestKit
{
    public static SimServerOptions Options(SimProfile? profile = null, int maxLoras = 1, params string[] loras)
    {
        var modules = new List<LoraModule>();
        foreach (var l in loras)
            modules.Add(new LoraModule(l, "/adapters/" + l));
        return new SimServerOptions { Profile = profile ?? SimProfile.L20, LoraModules = modules, MaxLoras = maxLoras };
    }

    public static SimServer Server(SimProfile? profile = null, int maxLoras = 1, params string[] loras) =>
        new(Options(profile, maxLoras, loras));

    /// <summary>A prompt of exactly <paramref name="tokens"/> tokens whose content is unique to <paramref name="key"/>.</summary>
    public static SimPrompt Text(string key, int tokens)
    {
        var chars = new char[tokens * SimTokenizer.CharsPerToken];
        var seed = StableHash.OfString(key);
        for (var i = 0; i < chars.Length; i++)
        {
            seed = StableHash.Mix(seed + (ulong)i);
            chars[i] = (char)('a' + (int)(seed % 26));
        }
        return SimPrompt.FromText(new string(chars));
    }

    public static SimRequest Request(string id, SimPrompt prompt, int output = 8, string? lora = null) => new(id, prompt, output, lora);
}
