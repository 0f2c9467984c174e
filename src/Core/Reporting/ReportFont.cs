using ScottPlot;
using SkiaSharp;

namespace MnistCnn.Core.Reporting;

/// <summary>
/// The one typeface all pictures draw text with: DejaVu Sans, embedded in the assembly. Skia's Linux build that
/// needs no fontconfig only finds fonts under /usr/share/fonts, and a fresh machine may have none; without a
/// typeface every label would silently vanish. Registered with ScottPlot under <see cref="Name"/>.
/// </summary>
internal static class ReportFont
{
    /// <summary>The family name charts ask ScottPlot for.</summary>
    public const string Name = "MnistCnn Sans";

    private const string ResourceName = "MnistCnn.Core.Reporting.DejaVuSans.ttf";
    private static readonly Lazy<SKTypeface> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly object Gate = new();
    private static bool registered;

    /// <summary>The embedded typeface (never Skia's empty default).</summary>
    public static SKTypeface Typeface => Loaded.Value;

    /// <summary>A font of <paramref name="size"/> pixels with the embedded typeface, antialiased.</summary>
    public static SKFont Font(float size) => new(Typeface, size) { Edging = SKFontEdging.Antialias, Subpixel = true };

    /// <summary>Makes <see cref="Name"/> resolvable by ScottPlot (once per process).</summary>
    public static void Register()
    {
        lock (Gate)
        {
            if (registered) return;
            Fonts.FontResolvers.Insert(0, new EmbeddedResolver());
            registered = true;
        }
    }

    /// <summary>Sets every text element of <paramref name="plot"/> to the embedded font.</summary>
    public static void Apply(Plot plot)
    {
        Register();
        plot.Font.Set(Name);
        plot.Legend.FontName = Name;
        plot.Legend.SetBestFontOnEachRender = false;
    }

    private static SKTypeface Load()
    {
        using var stream = typeof(ReportFont).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The assembly lacks its embedded font '{ResourceName}'.");
        using var data = SKData.Create(stream);
        return SKTypeface.FromData(data)
            ?? throw new InvalidOperationException($"Skia could not read the embedded font '{ResourceName}'.");
    }

    private sealed class EmbeddedResolver : IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) =>
            Matches(fontName) ? Typeface : null;

        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) => Matches(fontName) ? Typeface : null;

        private static bool Matches(string fontName) => string.Equals(fontName, Name, StringComparison.OrdinalIgnoreCase);
    }
}
