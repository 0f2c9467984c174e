namespace MnistCnn.Core.Diagnostics;

/// <summary>What kind of failure an error is; the cmdlets map it onto PowerShell's ErrorCategory.</summary>
public enum ErrorKind
{
    InvalidArgument,
    InvalidData,
    ObjectNotFound,
    ResourceUnavailable,
    OperationStopped,
    NotImplemented,
    InvalidOperation,
    SecurityError,
    ConnectionError,
    /// <summary>The thing to create is already there (a run folder that holds a run).</summary>
    ResourceExists,
}

/// <summary>
/// An error a user can act on: a stable <see cref="ErrorId"/> (PascalCase, pinned by tests), the thing it is about
/// (<see cref="Target"/>: a file, a key, a layer) and a message that says what is wrong and how to fix it.
/// </summary>
public class MnistCnnException : Exception
{
    public MnistCnnException(string errorId, ErrorKind kind, string message, string? target = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target;
    }

    public MnistCnnException() : this(DiagnosticsErrorIds.MnistCnnError, ErrorKind.InvalidOperation, "MnistCnn failed.") { }

    public MnistCnnException(string message) : this(DiagnosticsErrorIds.MnistCnnError, ErrorKind.InvalidOperation, message) { }

    public MnistCnnException(string message, Exception inner) : this(DiagnosticsErrorIds.MnistCnnError, ErrorKind.InvalidOperation, message, null, inner) { }

    public string ErrorId { get; }
    public ErrorKind Kind { get; }
    public string? Target { get; }
}
