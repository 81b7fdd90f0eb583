using System.ComponentModel.DataAnnotations;
using InferenceMesh.Prefix.Index;
using InferenceMesh.Scheduling;
using Microsoft.Extensions.Configuration;

namespace InferenceMesh.PrefixIndex.Tests.Service;

/// <summary>The option sections the services ship in their appsettings.json name real options with valid values: a key
/// renamed in code (or misspelt in the file) fails here instead of being ignored at start.</summary>
public sealed class AppSettingsTests
{
    private static IConfigurationSection Section(string service, string section) =>
        new ConfigurationBuilder().AddJsonFile(RepoPaths.Path("services", service, "appsettings.json")).Build().GetSection(section);

    private static T Bind<T>(IConfigurationSection section)
        where T : new()
    {
        Assert.True(section.Exists(), $"no '{section.Path}' section");
        var options = new T();
        section.Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);
        return options;
    }

    [Fact]
    public void PrefixIndexSection_BindsEveryKey()
    {
        var options = Bind<PrefixIndexOptions>(Section("prefix-index", "PrefixIndex"));
        Assert.Equal(CapacityFeedbackMode.WhenUnknown, options.CapacityFeedback);
    }

    [Fact]
    public void SchedulerSection_BindsEveryKey()
    {
        var options = Bind<SchedulerOptions>(Section("scheduler", "Scheduler"));
        Assert.Equal(new SchedulerOptions().CapacityFeedbackIntervalMs, options.CapacityFeedbackIntervalMs);
    }
}
