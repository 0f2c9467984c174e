using System.Management.Automation;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Cmdlets;

/// <summary>Turns Core's errors into PowerShell <see cref="ErrorRecord"/>s with stable ids and the right category.</summary>
internal static class ErrorRecords
{
    public static ErrorRecord From(MnistCnnException exception) => From(exception, exception.Target);

    /// <summary>The record of <paramref name="exception"/> with another target object (e.g. the result a failure belongs to).</summary>
    public static ErrorRecord From(MnistCnnException exception, object? target) =>
        new(exception, exception.ErrorId, Category(exception.Kind), target)
        {
            ErrorDetails = new ErrorDetails(exception.Message),
        };

    public static ErrorRecord Create(string errorId, ErrorCategory category, string message, object? target, Exception? inner = null) =>
        new(new MnistCnnException(errorId, ErrorKind.InvalidArgument, message, target?.ToString(), inner), errorId, category, target);

    public static ErrorCategory Category(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        ErrorKind.InvalidData => ErrorCategory.InvalidData,
        ErrorKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
        ErrorKind.ResourceUnavailable => ErrorCategory.ResourceUnavailable,
        ErrorKind.OperationStopped => ErrorCategory.OperationStopped,
        ErrorKind.NotImplemented => ErrorCategory.NotImplemented,
        ErrorKind.SecurityError => ErrorCategory.SecurityError,
        ErrorKind.ConnectionError => ErrorCategory.ConnectionError,
        ErrorKind.ResourceExists => ErrorCategory.ResourceExists,
        _ => ErrorCategory.InvalidOperation,
    };
}
