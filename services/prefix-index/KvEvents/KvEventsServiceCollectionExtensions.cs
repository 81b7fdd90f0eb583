using InferenceMesh.Contracts;
using InferenceMesh.Prefix.Index;
using InferenceMesh.Prefix.Index.Exact;
using InferenceMesh.ServiceDefaults;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace InferenceMesh.PrefixIndex.KvEvents;

/// <summary>Registration of the KV-events consumer and the exact block sets.</summary>
internal static class KvEventsServiceCollectionExtensions
{
    /// <summary>Section <c>KvEvents</c> (validated at start). With the redis backend the exact sets are readable
    /// (<c>/match-precise</c>; the routes answer the approximate match with other backends); with <c>KvEvents:Enabled</c> this replica also follows publishers and writes them.</summary>
    public static IServiceCollection AddKvEvents(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<KvEventsOptions>(KvEventsOptions.Section);
        var section = configuration.GetSection(KvEventsOptions.Section);
        var enabled = section.GetValue<bool>(nameof(KvEventsOptions.Enabled));
        var backend = configuration.GetSection(PrefixIndexOptions.Section).GetValue<string>(nameof(PrefixIndexOptions.Backend));
        if (enabled && backend != "redis")
            throw new OptionsValidationException(KvEventsOptions.Section, typeof(KvEventsOptions),
                ["KvEvents:Enabled needs PrefixIndex:Backend=redis (the exact sets live in the shared Redis)"]);
        if (backend == "redis")
        {
            services.AddSingleton(sp => new ExactBlockSets(sp.GetRequiredService<IConnectionMultiplexer>(),
                sp.GetRequiredService<IOptions<PrefixIndexOptions>>().Value.KeyPrefix));
        }
        // Mapped with every backend: without exact sets the precise routes answer the approximate match.
        services.AddSingleton(sp => new PrecisePrefixMatcher(sp.GetRequiredService<IPrefixIndexService>(), sp.GetService<ExactBlockSets>(),
            sp.GetRequiredService<ILogger<PrecisePrefixMatcher>>()));
        if (enabled)
        {
            services.AddSingleton<KvEventsConsumer>();
            services.AddHostedService(sp => sp.GetRequiredService<KvEventsConsumer>());
        }
        return services;
    }
}
