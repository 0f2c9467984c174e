namespace MnistCnn.Core.Diagnostics;

/// <summary>
/// The stable ErrorIds (<see cref="MnistCnnException.ErrorId"/>) of the diagnostics area; tests and scripts match on
/// them, so never rename one. docs/error-ids.md lists every id of every area.
/// </summary>
public static class DiagnosticsErrorIds
{
    /// <summary>A MnistCnnException made without an id (its parameterless constructor); no toolkit code raises it, so report it as a bug.</summary>
    [ErrorKinds(ErrorKind.InvalidOperation)]
    public const string MnistCnnError = nameof(MnistCnnError);
}
