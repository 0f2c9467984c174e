using System.Globalization;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Experiments.Spec;

/// <summary>Stable codes of experiment-spec problems (shown as <c>error MNC1002</c> in MSBuild-style lines).</summary>
public static class SpecCodes
{
    /// <summary>The file is not valid YAML.</summary>
    public const string YamlSyntax = "MNC1001";
    /// <summary>A key the format does not know (with a did-you-mean suggestion).</summary>
    public const string UnknownKey = "MNC1002";
    /// <summary>A value of the wrong type (text where a number belongs, a list where a mapping belongs...).</summary>
    public const string WrongType = "MNC1003";
    /// <summary>A number outside its allowed range.</summary>
    public const string OutOfRange = "MNC1004";
    /// <summary>A name that is not one of the allowed choices (optimizer, dataset, layer type...).</summary>
    public const string UnknownValue = "MNC1005";
    /// <summary>The model's layers do not fit together (ModelSpec.Validate).</summary>
    public const string ModelInvalid = "MNC1006";
    /// <summary>The training settings do not fit together (TrainingOptions.Validate).</summary>
    public const string TrainingInvalid = "MNC1007";
    /// <summary>An <c>extends</c> chain problem: missing file or a cycle.</summary>
    public const string ExtendsInvalid = "MNC1008";
    /// <summary>A required key is missing.</summary>
    public const string MissingKey = "MNC1009";
    /// <summary>Two keys that cannot be used together.</summary>
    public const string Conflict = "MNC1010";
    /// <summary>A sweep problem: bad path, unequal zip lists, a range in a grid...</summary>
    public const string SweepInvalid = "MNC1011";
    /// <summary>The spec file cannot be read.</summary>
    public const string FileUnreadable = "MNC1012";
    /// <summary>The spec is past a size limit (<see cref="SpecLimits"/>): file size, nesting depth, or values after alias expansion.</summary>
    public const string LimitExceeded = "MNC1013";
}

/// <summary>
/// One problem in an experiment spec, pointing at the file, line and column (1-based) it is about.
/// <see cref="ToString"/> gives the canonical MSBuild form <c>file(line,col): error MNC1002: message</c> that IDEs and CI annotate.
/// </summary>
public sealed record SpecDiagnostic(string File, int Line, int Column, string Code, string Message)
{
    public string Severity => "error";

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{File}({Line},{Column}): {Severity} {Code}: {Message}");
}

/// <summary>An experiment spec that cannot run; <see cref="Diagnostics"/> lists every problem found.</summary>
public sealed class SpecValidationException : MnistCnnException
{
    public SpecValidationException(string path, IReadOnlyList<SpecDiagnostic> diagnostics)
        : base(ExperimentsErrorIds.ExperimentSpecInvalid, ErrorKind.InvalidData, BuildMessage(path, diagnostics), path)
    {
        Diagnostics = diagnostics;
    }

    public SpecValidationException() : this("", Array.Empty<SpecDiagnostic>()) { }

    public SpecValidationException(string message) : this(message, Array.Empty<SpecDiagnostic>()) { }

    public SpecValidationException(string message, Exception inner) : base(ExperimentsErrorIds.ExperimentSpecInvalid, ErrorKind.InvalidData, message, null, inner)
    {
        Diagnostics = Array.Empty<SpecDiagnostic>();
    }

    public IReadOnlyList<SpecDiagnostic> Diagnostics { get; } = Array.Empty<SpecDiagnostic>();

    private static string BuildMessage(string path, IReadOnlyList<SpecDiagnostic> diagnostics) =>
        string.Create(CultureInfo.InvariantCulture,
            $"The experiment spec '{path}' has {diagnostics.Count} problem{(diagnostics.Count == 1 ? "" : "s")}; fix {(diagnostics.Count == 1 ? "it" : "them")} and run again:")
        + string.Concat(diagnostics.Select(d => Environment.NewLine + "  " + d));
}
