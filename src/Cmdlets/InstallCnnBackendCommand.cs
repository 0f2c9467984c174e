using System.Management.Automation;
using MnistCnn.Core.Backends;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Cmdlets;

/// <summary>
/// <para type="synopsis">Installs the libtorch the module runs on: TorchSharp's CPU or CUDA libtorch packages, or a libtorch you have.</para>
/// <para type="description">The module package leaves libtorch out. -Backend fetches TorchSharp's libtorch packages through
/// your NuGet configuration, verifies them and unpacks them into the backend cache; -Path registers a libtorch 2.10 lib
/// folder (an installed PyTorch's torch/lib).</para>
/// <example><code>Install-CnnBackend -Backend Cpu</code></example>
/// </summary>
[Cmdlet(VerbsLifecycle.Install, "CnnBackend", SupportsShouldProcess = true, DefaultParameterSetName = BackendSet)]
[OutputType(typeof(LibTorchBackend))]
public sealed class InstallCnnBackendCommand : PSCmdlet
{
    private const string BackendSet = "Backend";
    private const string PathSet = "Path";

    /// <summary>Which libtorch to fetch: Cpu (about 130 MB to download) or Cuda (NVIDIA GPUs; gigabytes).</summary>
    [Parameter(ParameterSetName = BackendSet, Position = 0)]
    public LibTorchBackendKind Backend { get; set; } = LibTorchBackendKind.Cpu;

    /// <summary>Fetch again even when the backend is already in the cache.</summary>
    [Parameter(ParameterSetName = BackendSet)]
    public SwitchParameter Force { get; set; }

    /// <summary>A libtorch lib folder to use instead (holding libc10.so, libtorch_cpu.so, libtorch.so), e.g. an installed PyTorch 2.10's torch/lib.</summary>
    [Parameter(ParameterSetName = PathSet, Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    protected override void EndProcessing()
    {
        var cacheRoot = TorchBackend.CacheRoot();
        var workingDirectory = SessionState.Path.CurrentFileSystemLocation.ProviderPath;
        try
        {
            LibTorchBackend result;
            if (ParameterSetName == PathSet)
            {
                var folder = GetUnresolvedProviderPathFromPSPath(Path);
                if (!ShouldProcess(folder, "Use as the module's libtorch")) return;
                result = new BackendInstaller(NullReporter.Instance, cacheRoot, BackendInstaller.LoadNuGetSettings(workingDirectory)).Register(folder);
            }
            else
            {
                if (!ShouldProcess(TorchBackend.InstallFolder(cacheRoot, Backend), $"Install the {Backend} libtorch {TorchBackend.LibTorchVersion} from NuGet")) return;
                using var reporter = new PipelineReporter();
                result = reporter.Run(this, (r, token) =>
                    new BackendInstaller(r, cacheRoot, BackendInstaller.LoadNuGetSettings(workingDirectory)).InstallAsync(Backend, Force, token).GetAwaiter().GetResult());
            }
            if (TorchBackend.IsBundled(TorchBackend.TorchSharpFolder))
            {
                WriteWarning($"This module folder carries its own libtorch ('{TorchBackend.TorchSharpFolder}'; a developer build), which it always uses; " +
                    $"'{result.Folder}' is for a module installed without one (the gallery package).");
            }
            else if (TorchBackend.LoadedFolder is { } loaded && !string.Equals(loaded, result.Folder, StringComparison.Ordinal))
            {
                WriteWarning($"This session already runs the libtorch in '{loaded}'; start a new PowerShell session to use '{result.Folder}'.");
            }
            else if (Environment.GetEnvironmentVariable(TorchBackend.FolderVariable) is { Length: > 0 } variable)
            {
                WriteWarning($"{TorchBackend.FolderVariable} is set ('{variable}') and takes precedence over the installed backend; remove it to use '{result.Folder}'.");
            }
            WriteObject(result);
        }
        catch (MnistCnnException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex));
        }
    }
}
