using System.Globalization;
using System.Text;

namespace InferenceMesh.Prometheus;

/// <summary>Number tokens of the text format: Go-style floats including NaN and ±Inf, and integer timestamps.</summary>
internal static class PrometheusValue
{
    public static bool TryParseDouble(ReadOnlySpan<byte> token, out double value)
    {
        if (token.IsEmpty)
        {
            value = 0;
            return false;
        }
        var body = token[0] is (byte)'+' or (byte)'-' ? token[1..] : token;
        if (body.Length is 3 or 8 && (Ascii.EqualsIgnoreCase(body, "inf"u8) || Ascii.EqualsIgnoreCase(body, "infinity"u8)))
        {
            value = token[0] == (byte)'-' ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }
        if (body.Length == 3 && Ascii.EqualsIgnoreCase(body, "nan"u8))
        {
            value = double.NaN;
            return true;
        }
        // Only digits, sign, point and exponent reach the framework parser, so it cannot accept culture or symbol forms.
        foreach (var c in body)
        {
            if (!(char.IsAsciiDigit((char)c) || c is (byte)'.' or (byte)'e' or (byte)'E' or (byte)'+' or (byte)'-'))
            {
                value = 0;
                return false;
            }
        }
        return double.TryParse(token, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
            CultureInfo.InvariantCulture, out value);
    }

    public static bool TryParseInteger(ReadOnlySpan<byte> token, out long value) =>
        long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
}
