using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.IO;

/// <summary>
/// The stable ErrorIds (<see cref="MnistCnnException.ErrorId"/>) of atomic file and folder writes; tests and scripts
/// match on them, so never rename one. docs/error-ids.md lists every id of every area.
/// </summary>
public static class IOErrorIds
{
    /// <summary>The disk (or quota) filled up while a file or folder was written; free space or write elsewhere, then resume the run with -ResumeFrom.</summary>
    [ErrorKinds(ErrorKind.ResourceUnavailable)]
    public const string DiskFull = nameof(DiskFull);
}
