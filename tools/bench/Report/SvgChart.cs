using System.Globalization;
using System.Security;
using System.Text;

namespace InferenceMesh.Bench.Report;

/// <summary>A small, dependency-free SVG line chart: axes with ticks, one polyline per series, a legend.</summary>
internal static class SvgChart
{
    private const int Width = 760;
    private const int Height = 400;
    private const int Left = 70;
    private const int Right = 170;
    private const int Top = 40;
    private const int Bottom = 50;

    private static readonly string[] Palette =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    public sealed record Series(string Name, IReadOnlyList<(double X, double Y)> Points);

    /// <summary>Renders the chart; <paramref name="logX"/> uses a log10 x axis (values ≤ 0 are clamped to the smallest positive).</summary>
    public static string Line(string title, string xLabel, string yLabel, IReadOnlyList<Series> series, bool logX = false, double? yMax = null)
    {
        var xs = new List<double>();
        var ys = new List<double>();
        foreach (var s in series)
        {
            foreach (var (x, y) in s.Points)
            {
                if (double.IsFinite(x) && double.IsFinite(y))
                {
                    xs.Add(x);
                    ys.Add(y);
                }
            }
        }

        var minPositive = xs.Where(v => v > 0).DefaultIfEmpty(1).Min();
        double Tx(double x) => logX ? Math.Log10(Math.Max(x, minPositive)) : x;
        var x0 = xs.Count == 0 ? 0 : xs.Select(Tx).Min();
        var x1 = xs.Count == 0 ? 1 : xs.Select(Tx).Max();
        if (x1 - x0 < 1e-9)
        {
            x1 = x0 + 1;
        }

        var y0 = 0.0;
        var y1 = yMax ?? (ys.Count == 0 ? 1 : Nice(ys.Max()));
        if (y1 <= y0)
        {
            y1 = y0 + 1;
        }

        var pw = Width - Left - Right;
        var ph = Height - Top - Bottom;
        double Px(double x) => Left + ((Tx(x) - x0) / (x1 - x0) * pw);
        double Py(double y) => Top + ph - ((Math.Clamp(y, y0, y1) - y0) / (y1 - y0) * ph);

        var sb = new StringBuilder();
        sb.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        sb.Append(Inv($"<rect x=\"0\" y=\"0\" width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n"));
        sb.Append(Inv($"<text x=\"{Width / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">{Esc(title)}</text>\n"));
        sb.Append(Inv($"<line x1=\"{Left}\" y1=\"{Top + ph}\" x2=\"{Left + pw}\" y2=\"{Top + ph}\" stroke=\"black\"/>\n"));
        sb.Append(Inv($"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Top + ph}\" stroke=\"black\"/>\n"));
        for (var k = 0; k <= 5; k++)
        {
            var yv = y0 + ((y1 - y0) * k / 5);
            var py = Py(yv);
            sb.Append(Inv($"<line x1=\"{Left - 4}\" y1=\"{py:F1}\" x2=\"{Left + pw}\" y2=\"{py:F1}\" stroke=\"#ddd\"/>\n"));
            sb.Append(Inv($"<text x=\"{Left - 6}\" y=\"{py + 4:F1}\" text-anchor=\"end\">{Esc(Fmt(yv))}</text>\n"));
            var tx = x0 + ((x1 - x0) * k / 5);
            var xv = logX ? Math.Pow(10, tx) : tx;
            var px = Left + ((tx - x0) / (x1 - x0) * pw);
            sb.Append(Inv($"<line x1=\"{px:F1}\" y1=\"{Top + ph}\" x2=\"{px:F1}\" y2=\"{Top + ph + 4}\" stroke=\"black\"/>\n"));
            sb.Append(Inv($"<text x=\"{px:F1}\" y=\"{Top + ph + 18}\" text-anchor=\"middle\">{Esc(Fmt(xv))}</text>\n"));
        }

        sb.Append(Inv($"<text x=\"{Left + (pw / 2)}\" y=\"{Height - 10}\" text-anchor=\"middle\">{Esc(xLabel)}{(logX ? " (log scale)" : string.Empty)}</text>\n"));
        sb.Append(Inv($"<text x=\"16\" y=\"{Top + (ph / 2)}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {Top + (ph / 2)})\">{Esc(yLabel)}</text>\n"));
        for (var i = 0; i < series.Count; i++)
        {
            var color = Palette[i % Palette.Length];
            var pts = new StringBuilder();
            foreach (var (x, y) in series[i].Points)
            {
                if (double.IsFinite(x) && double.IsFinite(y))
                {
                    pts.Append(Inv($"{Px(x):F1},{Py(y):F1} "));
                }
            }

            sb.Append(Inv($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.6\" points=\"{pts.ToString().TrimEnd()}\"/>\n"));
            var ly = Top + 10 + (i * 18);
            sb.Append(Inv($"<line x1=\"{Left + pw + 12}\" y1=\"{ly}\" x2=\"{Left + pw + 32}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"3\"/>\n"));
            sb.Append(Inv($"<text x=\"{Left + pw + 36}\" y=\"{ly + 4}\">{Esc(series[i].Name)}</text>\n"));
        }

        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static double Nice(double max)
    {
        if (max <= 0)
        {
            return 1;
        }

        var exp = Math.Pow(10, Math.Floor(Math.Log10(max)));
        foreach (var m in new[] { 1.0, 2.0, 2.5, 5.0, 10.0 })
        {
            if (m * exp >= max)
            {
                return m * exp;
            }
        }

        return 10 * exp;
    }

    private static string Fmt(double v) =>
        Math.Abs(v) >= 10_000 ? v.ToString("0.#e0", CultureInfo.InvariantCulture)
        : Math.Abs(v) >= 100 ? v.ToString("0", CultureInfo.InvariantCulture)
        : Math.Abs(v) >= 1 ? v.ToString("0.#", CultureInfo.InvariantCulture)
        : v.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Esc(string s) => SecurityElement.Escape(s) ?? string.Empty;

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
