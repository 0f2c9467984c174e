namespace MnistCnn.Core.Experiments.Spec;

/// <summary>Where a spec node was written: file and 1-based line and column.</summary>
public sealed record SourceLocation(string File, int Line, int Column)
{
    public static SourceLocation StartOf(string file) => new(file, 1, 1);
}
