using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Backends;

/// <summary>
/// What happens when a cmdlet needs libtorch and none is installed, the way R's torch does it with
/// <c>install_torch()</c> and <c>TORCH_INSTALL</c>: <see cref="InstallVariable"/> installs without asking (or forbids
/// installing); otherwise an interactive session is asked once (default yes) and a non-interactive one never is: it
/// gets <c>BackendNotInstalled</c>, which names the command and the variable. One instance per process: a "no" is
/// remembered, so the user is not asked again at every cmdlet.
/// </summary>
public sealed class BackendFirstUse
{
    /// <summary>
    /// "cpu" (or 1, yes, true) or "cuda": install that backend at first use without asking; "no" (or 0, false, never):
    /// never install nor ask. Inherited by sweep workers and Slurm jobs like any environment variable.
    /// </summary>
    public const string InstallVariable = "MNISTCNN_INSTALL_BACKEND";

    /// <summary>The title of the question an interactive session is asked.</summary>
    public const string Caption = "Install libtorch for MnistCnn?";

    private readonly Func<string, string?> environment;
    private readonly Lock gate = new();
    private bool declined;

    /// <param name="environment">Reads an environment variable (the process's by default).</param>
    public BackendFirstUse(Func<string, string?>? environment = null) => this.environment = environment ?? Environment.GetEnvironmentVariable;

    /// <summary>
    /// The backend to install now, or null when nothing is to be installed (the caller then reports
    /// <c>BackendNotInstalled</c>). <paramref name="ask"/> (question, caption; true for yes) is called only for an
    /// interactive session without <see cref="InstallVariable"/>, and only until the user has said no once.
    /// Throws <c>BackendInstallVariableInvalid</c> when the variable holds something else.
    /// </summary>
    public LibTorchBackendKind? Decide(bool interactive, string cacheRoot, Func<string, string, bool> ask)
    {
        ArgumentNullException.ThrowIfNull(cacheRoot);
        ArgumentNullException.ThrowIfNull(ask);
        var variable = ParseVariable(environment(InstallVariable));
        if (variable.Set) return variable.Kind;
        if (!interactive) return null;
        lock (gate)
        {
            if (declined) return null;
            if (ask(Question(cacheRoot), Caption)) return LibTorchBackendKind.Cpu;
            declined = true;
            return null;
        }
    }

    /// <summary>The question: what is downloaded, how big, where it goes, and what to answer for CUDA.</summary>
    public static string Question(string cacheRoot)
    {
        ArgumentNullException.ThrowIfNull(cacheRoot);
        return $"MnistCnn needs libtorch {TorchBackend.LibTorchVersion}, and none is installed (the module package leaves it out). " +
            $"Install the CPU backend now? This runs 'Install-CnnBackend -Backend Cpu': it downloads libtorch-cpu-{BackendInstaller.RuntimeIdentifier} " +
            $"{TorchBackend.LibTorchVersion} (about 125 MB; 450 MB unpacked) through your NuGet configuration, verifies it and unpacks it into " +
            $"'{TorchBackend.InstallFolder(cacheRoot, LibTorchBackendKind.Cpu)}'. For an NVIDIA GPU answer No and run 'Install-CnnBackend -Backend Cuda'. " +
            $"To install without this question (CI, MSBuild, Slurm), set {InstallVariable}=cpu.";
    }

    /// <summary>
    /// Whether this PowerShell can ask its user: not started with -NonInteractive (or an abbreviation of it), its input
    /// is a terminal, and its host is one a person sits at (not the hosted "Default Host" of the SDK, MSBuild tasks
    /// or remoting's server host).
    /// </summary>
    public static bool IsInteractive(string? hostName, IReadOnlyList<string> commandLine, bool inputRedirected)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        if (inputRedirected) return false;
        if (hostName is null or "Default Host" or "ServerRemoteHost") return false;
        // pwsh's own switches come before -Command/-File; what follows belongs to the script.
        foreach (var argument in commandLine.Skip(1))
        {
            var name = argument.TrimStart('-', '/').ToLowerInvariant();
            if (argument.Length == name.Length) continue;
            if (name.Length >= 4 && "noninteractive".StartsWith(name, StringComparison.Ordinal)) return false;
            if (name is "c" or "f" or "e" or "ec" || (name.Length >= 2 && ("command".StartsWith(name, StringComparison.Ordinal) ||
                "file".StartsWith(name, StringComparison.Ordinal) || "encodedcommand".StartsWith(name, StringComparison.Ordinal)))) break;
        }
        return true;
    }

    // (true, kind) to install kind; (true, null) never to install; (false, null) when unset.
    private static (bool Set, LibTorchBackendKind? Kind) ParseVariable(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return (false, null);
        switch (value.Trim().ToLowerInvariant())
        {
            case "cpu" or "1" or "yes" or "true":
                return (true, LibTorchBackendKind.Cpu);
            case "cuda":
                return (true, LibTorchBackendKind.Cuda);
            case "0" or "no" or "false" or "never":
                return (true, null);
            default:
                throw new MnistCnnException(BackendsErrorIds.BackendInstallVariableInvalid, ErrorKind.InvalidArgument,
                    $"The environment variable {InstallVariable} is '{value}', which is not a backend. Set it to 'cpu' (or 1) or 'cuda' to install that " +
                    "backend when a cmdlet first needs libtorch, to 'no' (or 0) never to install one automatically, or remove it to be asked.", InstallVariable);
        }
    }
}
