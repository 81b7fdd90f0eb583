namespace InferenceMesh.Bench.Cli;

/// <summary>Exit codes and the one error a user can cause by pointing at something that is not there.</summary>
internal static class CliErrors
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
}

/// <summary>A user error: printed without a stack trace, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
