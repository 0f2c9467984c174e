using System.Management.Automation;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Experiments.Running;
using MnistCnn.Core.Reporting;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Tracking;

namespace MnistCnn.Cmdlets;

/// <summary>Export-CnnReport's run piped by property name: read from its run folder, else from MLflow by its server run id.</summary>
internal static class PipedRun
{
    /// <summary>The piped run from its folder, else from the server; null with a reason when neither is given.</summary>
    public static SweepTrial? Read(PSCmdlet cmdlet, string? runFolder, string? serverRunId, string? trackingUri)
    {
        string? folder = string.IsNullOrWhiteSpace(runFolder) ? null : cmdlet.GetUnresolvedProviderPathFromPSPath(runFolder);
        if (folder is not null && Directory.Exists(folder))
        {
            if (!File.Exists(Path.Combine(folder, RunResultFile.FileName)) && File.Exists(Path.Combine(folder, ExperimentRecordFile.SummaryFileName)))
            {
                cmdlet.WriteVerbose($"'{folder}' is an experiment folder (a sweep's parent run), not a trial: it is left out of the report.");
                return null;
            }
            var result = RunResultFile.ReadResult(folder) ?? throw new MnistCnnException(CmdletErrorIds.RunResultNotFound, ErrorKind.ObjectNotFound,
                $"The run folder '{folder}' has no readable {RunResultFile.FileName} (a run that never finished an epoch, or not a run folder), so it has no report.", folder);
            return new SweepTrial(result.RunName, result);
        }
        if (!string.IsNullOrWhiteSpace(serverRunId))
        {
            // Source is a folder for runs read from disk: only an http(s) address names a server.
            string? uri = trackingUri is { } t && (t.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || t.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) ? t : null;
            var reporter = new QueuedReporter();
            var settings = TrackingSettings.Resolve(uri, null, reporter);
            reporter.Drain(cmdlet);
            var (result, parameters) = RunReader.ResultFromServerAsync(settings, serverRunId).GetAwaiter().GetResult();
            return new SweepTrial(result.RunName, result, null, parameters);
        }
        throw new MnistCnnException(CmdletErrorIds.RunResultNotFound, ErrorKind.ObjectNotFound, folder is not null
            ? $"The run folder '{folder}' does not exist, and the run has no ServerRunId to read it from MLflow."
            : "The piped object has neither a run folder (OutputPath, Folder) nor an MLflow run id (ServerRunId); pipe Start-CnnTraining, Invoke-CnnExperiment or Get-CnnRun output.", folder);
    }
}
