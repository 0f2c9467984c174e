using MnistCnn.Core.Diagnostics;

namespace MnistCnn.GpuCheck;

/// <summary>
/// The stable ErrorIds of the GPU check (scripts/gpu): written to its summary's <c>errorId</c> fields and its log,
/// where run-gpu-check.sh and the tests read them, so never rename one. Core's and the cmdlets' ids are in
/// docs/error-ids.md; these belong to the check alone.
/// </summary>
public static class GpuCheckErrorIds
{
    /// <summary>The command line is wrong (an unknown option or a bad value); the message names the option. Run with --help.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string GpuCheckUsage = nameof(GpuCheckUsage);
    /// <summary>No libtorch folder was given (the bundle carries none): pass --libtorch DIR or set the variable the message names.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string LibTorchFolderMissing = nameof(LibTorchFolderMissing);
    /// <summary>The process mapped a libtorch other than the one given (another one is on the loader's path); remove it or unset LD_LIBRARY_PATH.</summary>
    [ErrorKinds(ErrorKind.InvalidOperation)]
    public const string LibTorchNotUsed = nameof(LibTorchNotUsed);
    /// <summary>One of the checks did not hold; the message says which and what was seen.</summary>
    [ErrorKinds(ErrorKind.InvalidOperation)]
    public const string GpuCheckFailed = nameof(GpuCheckFailed);
}
