using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Tracking;

/// <summary>
/// A failed MLflow REST call. <see cref="IsTransient"/> is true for connection errors, timeouts, 429 and 5xx (worth
/// retrying with back-off); any other 4xx is a bug or bad data and is never retried. Messages never hold secrets.
/// </summary>
public sealed class MlflowApiException : MnistCnnException
{
    public MlflowApiException(string errorId, ErrorKind kind, string message, int statusCode, string? errorCode, bool isTransient,
        TimeSpan? retryAfter = null, string? target = null, Exception? inner = null)
        : base(errorId, kind, message, target, inner)
    {
        StatusCode = statusCode;
        ErrorCode = errorCode;
        IsTransient = isTransient;
        RetryAfter = retryAfter;
    }

    public MlflowApiException() : this(TrackingErrorIds.MlflowRequestFailed, ErrorKind.InvalidOperation, "The MLflow request failed.", 0, null, false) { }

    public MlflowApiException(string message) : this(TrackingErrorIds.MlflowRequestFailed, ErrorKind.InvalidOperation, message, 0, null, false) { }

    public MlflowApiException(string message, Exception inner) : this(TrackingErrorIds.MlflowRequestFailed, ErrorKind.InvalidOperation, message, 0, null, false, null, null, inner) { }

    /// <summary>HTTP status, or 0 when no answer came (connection refused, reset, timeout).</summary>
    public int StatusCode { get; }

    /// <summary>MLflow's error_code (e.g. INVALID_PARAMETER_VALUE), when the server sent one.</summary>
    public string? ErrorCode { get; }

    public bool IsTransient { get; }

    /// <summary>True when the request may have been applied although no success answer came (reset, timeout, 500).</summary>
    internal bool MaybeApplied { get; init; }

    /// <summary>
    /// True when no connection could be made at all (refused, unknown host, TLS handshake failed): nothing was sent,
    /// and waiting out a flush timeout for such a server only delays the user.
    /// </summary>
    public bool IsConnectionFailure => IsTransient && StatusCode == 0 && !MaybeApplied;

    /// <summary>The server's Retry-After, when it sent one.</summary>
    public TimeSpan? RetryAfter { get; }
}
