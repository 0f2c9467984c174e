using System.Globalization;

namespace MnistCnn.Core.Experiments.Spec;

/// <summary>
/// How big a spec file may be. A real spec is a few hundred bytes, five levels deep and a few dozen values; the
/// limits are far above that and far below what could hang or crash the reader (docs/experiments.md, "Limits").
/// </summary>
public sealed record SpecLimits
{
    public static SpecLimits Default { get; } = new();

    /// <summary>The largest spec file read, in bytes (1 MiB).</summary>
    public long MaxFileBytes { get; init; } = 1L << 20;

    /// <summary>How deeply mappings and lists may nest (64).</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>How many values (scalars, mappings, lists) one file may hold once every alias is expanded (100,000).</summary>
    public long MaxNodes { get; init; } = 100_000;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{MaxFileBytes} bytes, {MaxDepth} levels, {MaxNodes} values");
}
