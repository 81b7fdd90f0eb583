using System.Globalization;

namespace InferenceMesh.VllmSim.Http;

/// <summary>Formats numbers the way Python's prometheus_client does (vLLM's exporter): <c>0.0</c>, <c>3.0</c>,
/// <c>0.001</c>, <c>+Inf</c>, and Go-style exponents past 6 integer digits (<c>1.7382173358407154e+09</c>).</summary>
internal static class PromFloat
{
    public static string Format(double d)
    {
        if (double.IsPositiveInfinity(d))
            return "+Inf";
        if (double.IsNegativeInfinity(d))
            return "-Inf";
        if (double.IsNaN(d))
            return "NaN";
        string s;
        if (d == Math.Floor(d) && Math.Abs(d) < 1e16)
        {
            s = d.ToString("F1", CultureInfo.InvariantCulture);
        }
        else
        {
            s = d.ToString("R", CultureInfo.InvariantCulture);
            var e = s.IndexOf('E', StringComparison.Ordinal);
            if (e >= 0)
            {
                // Python repr: "1e-05" / "1.5e+16" (at least two exponent digits, explicit sign).
                var mantissa = s[..e];
                var exp = int.Parse(s.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                return mantissa + "e" + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture);
            }
        }
        var dot = s.IndexOf('.', StringComparison.Ordinal);
        if (d > 0 && dot > 6)
        {
            var mantissa = (s[0] + "." + s[1..dot] + s[(dot + 1)..]).TrimEnd('0', '.');
            return mantissa + "e+0" + (dot - 1).ToString(CultureInfo.InvariantCulture);
        }
        return s;
    }
}
