using System.Management.Automation;
using MnistCnn.Core.Backends;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Cmdlets;

/// <summary>
/// The cmdlets that run libtorch call <see cref="Require"/> first: it loads the chosen libtorch before TorchSharp
/// looks for one. When none is installed it takes the first-use step (<see cref="BackendFirstUse"/>): installs the
/// backend <c>MNISTCNN_INSTALL_BACKEND</c> names, or asks an interactive session once, then goes on; otherwise it
/// stops the cmdlet with <c>BackendNotInstalled</c> (which says what to run) instead of TorchSharp's loader error.
/// </summary>
internal static class BackendGate
{
    // One per process, like the libtorch it loads: a "no" holds for the rest of the session.
    private static readonly BackendFirstUse FirstUse = new();

    public static void Require(PSCmdlet cmdlet)
    {
        try
        {
            try
            {
                TorchBackend.EnsureLoaded();
            }
            catch (MnistCnnException ex) when (ex.ErrorId == BackendsErrorIds.BackendNotInstalled)
            {
                if (!InstallAtFirstUse(cmdlet)) throw;
                TorchBackend.EnsureLoaded();
            }
        }
        catch (MnistCnnException ex)
        {
            cmdlet.ThrowTerminatingError(ErrorRecords.From(ex));
        }
    }

    // True when a backend was installed (the caller loads it), false when the caller reports BackendNotInstalled.
    private static bool InstallAtFirstUse(PSCmdlet cmdlet)
    {
        var cacheRoot = TorchBackend.CacheRoot();
        var interactive = BackendFirstUse.IsInteractive(cmdlet.Host?.Name, Environment.GetCommandLineArgs(), Console.IsInputRedirected);
        var kind = FirstUse.Decide(interactive, cacheRoot, (question, caption) =>
        {
            try
            {
                return cmdlet.ShouldContinue(question, caption);
            }
            catch (Exception ex) when (ex is PSInvalidOperationException or System.Management.Automation.Host.HostException or NotImplementedException)
            {
                return false;   // a host that cannot prompt after all
            }
        });
        if (kind is not { } backend) return false;
        if (Environment.GetEnvironmentVariable(BackendFirstUse.InstallVariable) is { Length: > 0 } variable)
        {
            cmdlet.WriteWarning($"No libtorch is installed; installing the {backend} backend ({BackendFirstUse.InstallVariable}={variable}): " +
                $"Install-CnnBackend -Backend {backend}, into '{TorchBackend.InstallFolder(cacheRoot, backend)}'.");
        }
        var workingDirectory = cmdlet.SessionState.Path.CurrentFileSystemLocation.ProviderPath;
        using var reporter = new PipelineReporter(progressBase: 50);
        var installed = reporter.Run(cmdlet, (r, token) =>
            new BackendInstaller(r, cacheRoot, BackendInstaller.LoadNuGetSettings(workingDirectory)).InstallAsync(backend, force: false, token).GetAwaiter().GetResult());
        cmdlet.WriteVerbose($"Installed the {installed.Backend} libtorch {installed.Version} from {installed.Source} into {installed.Folder}.");
        return true;
    }
}
