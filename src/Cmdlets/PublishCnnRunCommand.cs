using System.Management.Automation;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Tracking;

namespace MnistCnn.Cmdlets;

/// <summary>
/// <para type="synopsis">Sends locally journaled runs to an MLflow tracking server, without duplicating anything.</para>
/// <para type="description">Every run keeps an append-only journal (journal.jsonl) in its folder. Publish-CnnRun replays
/// the runs that did not (fully) reach the server: a run already there (found by its mnistcnn.run_id tag) is completed
/// with the missing params, metrics, tags and artifacts and its final status; it is never created twice. Give a run
/// folder or a folder of run folders (sweeps: parents are published before their children). Runs whose journal says
/// the server has everything are skipped unless -Force re-checks them against the server.</para>
/// <example><code>Publish-CnnRun -Path ./runs -TrackingUri http://127.0.0.1:5000</code></example>
/// <example><code>Get-CnnRun -Path ./runs | Where-Object { -not $_.PublishedTo } | Publish-CnnRun</code></example>
/// </summary>
[Cmdlet(VerbsData.Publish, "CnnRun", SupportsShouldProcess = true)]
[OutputType(typeof(PublishResult))]
public sealed class PublishCnnRunCommand : PSCmdlet
{
    /// <summary>A run folder, or a folder holding run folders. Binds Get-CnnRun's Folder and Get-ChildItem's FullName.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "Folder", "OutputPath")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RunFolderCompleter))]
    public string[] Path { get; set; } = [];

    /// <summary>The MLflow server (http or https); default: $env:MLFLOW_TRACKING_URI.</summary>
    [Parameter]
    public string? TrackingUri { get; set; }

    /// <summary>Publish into this experiment instead of the one each run was journaled with.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ExperimentNameCompleter))]
    public string? Experiment { get; set; }

    /// <summary>Re-check runs the journal says are already on the server (what is missing is added; nothing is duplicated).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private readonly QueuedReporter reporter = new();
    private RunPublisher? publisher;
    private string server = "";

    protected override void BeginProcessing()
    {
        try
        {
            var settings = TrackingSettings.Resolve(TrackingUri, Experiment, reporter);
            reporter.Drain(this);
            publisher = new RunPublisher(settings, reporter, Experiment);
            this.server = settings.ServerDisplay;
        }
        catch (MnistCnnException ex)
        {
            reporter.Drain(this);
            ThrowTerminatingError(ErrorRecords.From(ex));
        }
    }

    protected override void ProcessRecord()
    {
        foreach (var input in Path)
        {
            IReadOnlyList<string> folders;
            try
            {
                folders = RunPublisher.FindRunFolders(GetUnresolvedProviderPathFromPSPath(input));
            }
            catch (MnistCnnException ex)
            {
                WriteError(ErrorRecords.From(ex));
                continue;
            }
            if (folders.Count == 0)
            {
                WriteWarning($"No run journal ({RunJournal.FileName}) under '{input}'.");
                continue;
            }
            foreach (var folder in folders)
            {
                if (!ShouldProcess(folder, $"Publish run to {this.server}")) continue;
                try
                {
                    var result = publisher!.Publish(folder, Force.IsPresent);
                    reporter.Drain(this);
                    if (result.Error is not null)
                    {
                        WriteError(ErrorRecords.From(new MnistCnnException(CmdletErrorIds.RunPublishFailed, ErrorKind.ConnectionError,
                            $"Run {result.RunId} in '{folder}' was not (fully) published: {result.Error} Run Publish-CnnRun again when the server is back.", folder)));
                    }
                    WriteObject(result);
                }
                catch (MnistCnnException ex)
                {
                    reporter.Drain(this);
                    WriteError(ErrorRecords.From(ex));
                }
            }
        }
    }

    protected override void EndProcessing() => publisher?.Dispose();

    protected override void StopProcessing() => publisher?.Dispose();
}
