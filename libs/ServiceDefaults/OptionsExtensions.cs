using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace InferenceMesh.ServiceDefaults;

/// <summary>Options bound from one configuration section and validated at start.</summary>
public static class OptionsExtensions
{
    /// <summary>Binds <typeparamref name="TOptions"/> to <paramref name="section"/>, validates its data annotations at start,
    /// and reports failures with the full configuration key (e.g. <c>Scheduler:QueueThreshold</c>).</summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services, string section)
        where TOptions : class
    {
        services.AddSingleton<IValidateOptions<TOptions>>(new SectionAnnotationsValidator<TOptions>(section));
        return services.AddOptions<TOptions>()
            .BindConfiguration(section, o => o.ErrorOnUnknownConfiguration = false)
            .ValidateOnStart();
    }

    private sealed class SectionAnnotationsValidator<TOptions>(string section) : IValidateOptions<TOptions>
        where TOptions : class
    {
        public ValidateOptionsResult Validate(string? name, TOptions options)
        {
            var results = new List<ValidationResult>();
            if (Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
                return ValidateOptionsResult.Success;
            var failures = new List<string>(results.Count);
            foreach (var r in results)
            {
                var member = r.MemberNames.FirstOrDefault() ?? "?";
                failures.Add($"{section}:{member}: {r.ErrorMessage}");
            }
            return ValidateOptionsResult.Fail(failures);
        }
    }
}
