using System.Diagnostics;
using System.Globalization;
using MnistCnn.Core.Experiments.Sweeps;

namespace MnistCnn.Core.Experiments.Running;

/// <summary>
/// The command line of a worker process: the same PowerShell as this process (pwsh, or pwsh run as a .NET tool),
/// importing the same module, running one resolved trial with Invoke-CnnExperiment from the trial file the parent
/// wrote (<see cref="TrialFile"/>), so the worker does not read the spec again.
/// </summary>
/// <param name="ModulePath">The module to import (the laid-out manifest, or the cmdlet assembly).</param>
/// <param name="WorkingDirectory">The worker's working directory (the caller's current location).</param>
public sealed record WorkerCommand(string ModulePath, string WorkingDirectory)
{
    /// <summary>
    /// The process that runs <paramref name="trial"/>, written to <paramref name="trialFile"/>, with <paramref name="threads"/>
    /// CPU threads (unless the options or the spec set them).
    /// </summary>
    public ProcessStartInfo For(string trialFile, ExperimentTrial trial, int threads, ExperimentRunOptions options)
    {
        ArgumentNullException.ThrowIfNull(trialFile);
        ArgumentNullException.ThrowIfNull(trial);
        ArgumentNullException.ThrowIfNull(options);
        var info = new ProcessStartInfo();
        string? host = Environment.ProcessPath;
        string hostName = Path.GetFileNameWithoutExtension(host ?? "");
        if (hostName.Equals("pwsh", StringComparison.OrdinalIgnoreCase))
        {
            info.FileName = host!;
        }
        else if (hostName.Equals("dotnet", StringComparison.OrdinalIgnoreCase) && Environment.GetCommandLineArgs() is [var entry, ..] && entry.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            // pwsh run as a .NET tool: dotnet pwsh.dll ...
            info.FileName = host!;
            info.ArgumentList.Add(entry);
        }
        else
        {
            info.FileName = "pwsh";
        }
        foreach (var a in new[] { "-NoProfile", "-NonInteractive", "-Command", Script(trialFile, trial, threads, options) }) info.ArgumentList.Add(a);
        info.WorkingDirectory = WorkingDirectory;
        return info;
    }

    /// <summary>The PowerShell the worker runs (single-quoted paths, so any file name is safe).</summary>
    public string Script(string trialFile, ExperimentTrial trial, int threads, ExperimentRunOptions options)
    {
        ArgumentNullException.ThrowIfNull(trialFile);
        ArgumentNullException.ThrowIfNull(trial);
        ArgumentNullException.ThrowIfNull(options);
        return string.Create(CultureInfo.InvariantCulture,
            $"$ErrorActionPreference = 'Stop'; $ProgressPreference = 'SilentlyContinue'; $PSStyle.OutputRendering = 'PlainText'; Import-Module {Quote(ModulePath)}; " +
            $"Invoke-CnnExperiment -Path {Quote(trialFile)} -Threads {options.Threads ?? trial.Spec.Training.Threads ?? threads}{(options.Force ? " -Force" : "")} -InformationAction Continue | Out-Null");
    }

    private static string Quote(string s) => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";
}
