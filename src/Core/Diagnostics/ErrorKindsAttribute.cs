namespace MnistCnn.Core.Diagnostics;

/// <summary>
/// Says which <see cref="ErrorKind"/>s an error id is raised with (on a <c>const string</c> of an <c>*ErrorIds</c> class).
/// docs/error-ids.md is generated from it and from the constant's summary; a test checks it against every place that
/// raises the id with a literal kind.
/// </summary>
[AttributeUsage(AttributeTargets.Field, AllowMultiple = false, Inherited = false)]
public sealed class ErrorKindsAttribute : Attribute
{
    public ErrorKindsAttribute(params ErrorKind[] kinds) => Kinds = kinds;

    /// <summary>The kinds, most common first.</summary>
    public IReadOnlyList<ErrorKind> Kinds { get; }

    /// <summary>
    /// The PowerShell <c>ErrorCategory</c>, by name, when a cmdlet makes the record itself with another category than
    /// its kind's (for example <c>ResourceExists</c>); null when the category follows the kind.
    /// </summary>
    public string? Category { get; init; }

    /// <summary>True for an id that names a warning (written with <c>[Id]</c> in front), never an error.</summary>
    public bool Warning { get; init; }
}
