using System.Globalization;

namespace InferenceMesh.Grpc;

/// <summary>The <c>grpc-timeout</c> header: 1–8 ASCII digits followed by a unit H, M, S, m, u or n.</summary>
public static class GrpcTimeout
{
    /// <summary>Parses a header value; false when it is malformed.</summary>
    public static bool TryParse(ReadOnlySpan<char> value, out TimeSpan timeout)
    {
        timeout = default;
        if (value.Length is < 2 or > 9)
            return false;
        long amount = 0;
        for (var i = 0; i < value.Length - 1; i++)
        {
            var c = value[i];
            if (c is < '0' or > '9')
                return false;
            amount = (amount * 10) + (c - '0');
        }
        long ticks;
        switch (value[^1])
        {
            case 'H': ticks = amount * TimeSpan.TicksPerHour; break;
            case 'M': ticks = amount * TimeSpan.TicksPerMinute; break;
            case 'S': ticks = amount * TimeSpan.TicksPerSecond; break;
            case 'm': ticks = amount * TimeSpan.TicksPerMillisecond; break;
            case 'u': ticks = amount * 10; break;
            case 'n': ticks = amount / 100; break;
            default: return false;
        }
        timeout = TimeSpan.FromTicks(ticks);
        return true;
    }

    /// <summary>Formats a timeout in the coarsest unit that keeps it within 8 digits (milliseconds precision or better).</summary>
    public static string Format(TimeSpan timeout)
    {
        var ticks = Math.Max(0, timeout.Ticks);
        var micros = ticks / 10;
        if (micros < 100_000_000)
            return micros.ToString(CultureInfo.InvariantCulture) + "u";
        var millis = ticks / TimeSpan.TicksPerMillisecond;
        if (millis < 100_000_000)
            return millis.ToString(CultureInfo.InvariantCulture) + "m";
        var seconds = Math.Min(ticks / TimeSpan.TicksPerSecond, 99_999_999);
        return seconds.ToString(CultureInfo.InvariantCulture) + "S";
    }
}
