using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Backends;

/// <summary>
/// The stable ErrorIds (<see cref="MnistCnnException.ErrorId"/>) of the backends area (which libtorch a process loads, Install-CnnBackend); tests and scripts match on them, so
/// never rename one. docs/error-ids.md lists every id of every area.
/// </summary>
public static class BackendsErrorIds
{
    /// <summary>No libtorch is installed for the module package (or the selected one is gone); run Install-CnnBackend -Backend Cpu|Cuda, or set MNISTCNN_LIBTORCH.</summary>
    [ErrorKinds(ErrorKind.ResourceUnavailable)]
    public const string BackendNotInstalled = nameof(BackendNotInstalled);
    /// <summary>MNISTCNN_INSTALL_BACKEND holds a value that names no backend; set it to cpu (or 1), cuda, or no (or 0), or remove it to be asked.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string BackendInstallVariableInvalid = nameof(BackendInstallVariableInvalid);
    /// <summary>The backend selection file in the cache is not valid JSON; run Install-CnnBackend again to rewrite it.</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string BackendSelectionInvalid = nameof(BackendSelectionInvalid);
    /// <summary>A libtorch package is neither in the NuGet global packages folder nor served by any configured source; add a source that serves it.</summary>
    [ErrorKinds(ErrorKind.ObjectNotFound)]
    public const string BackendPackageNotFound = nameof(BackendPackageNotFound);
    /// <summary>The fetched packages lack libtorch's native files for this platform (or name no CUDA package); check which packages your NuGet sources serve.</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string BackendPackageIncomplete = nameof(BackendPackageIncomplete);
    /// <summary>A libtorch package does not match its hash, signature or identity; delete it (or clear the NuGet cache) and run Install-CnnBackend -Force.</summary>
    [ErrorKinds(ErrorKind.InvalidData, ErrorKind.SecurityError)]
    public const string BackendPackageCorrupt = nameof(BackendPackageCorrupt);
    /// <summary>A libtorch package carries no NuGet signature; use a source that keeps the signature, or point Install-CnnBackend -Path at a libtorch you trust.</summary>
    [ErrorKinds(ErrorKind.SecurityError)]
    public const string BackendPackageUnsigned = nameof(BackendPackageUnsigned);
    /// <summary>A package is not cached and the NuGet configuration has no enabled source; add one (dotnet nuget add source ...).</summary>
    [ErrorKinds(ErrorKind.ResourceUnavailable)]
    public const string NuGetSourceMissing = nameof(NuGetSourceMissing);
    /// <summary>The libtorch folder given (-Path, MNISTCNN_LIBTORCH) does not exist; give the folder holding libtorch_cpu.so.</summary>
    [ErrorKinds(ErrorKind.ObjectNotFound)]
    public const string LibTorchFolderNotFound = nameof(LibTorchFolderNotFound);
    /// <summary>The folder given holds no libtorch (libc10.so, libtorch_cpu.so, libtorch.so); give the lib folder of a PyTorch or libtorch install.</summary>
    [ErrorKinds(ErrorKind.ObjectNotFound)]
    public const string LibTorchNotInFolder = nameof(LibTorchNotInFolder);
    /// <summary>A libtorch library failed to load (a dependency is missing or does not match this system); check it with ldd.</summary>
    [ErrorKinds(ErrorKind.ResourceUnavailable)]
    public const string LibTorchLoadFailed = nameof(LibTorchLoadFailed);
    /// <summary>The libtorch version of a folder cannot be told (no version file); use a PyTorch or NuGet libtorch of the version TorchSharp needs.</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string LibTorchVersionUnknown = nameof(LibTorchVersionUnknown);
    /// <summary>The libtorch folder holds another version than TorchSharp needs; use a matching PyTorch install or run Install-CnnBackend.</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string LibTorchVersionMismatch = nameof(LibTorchVersionMismatch);
}
