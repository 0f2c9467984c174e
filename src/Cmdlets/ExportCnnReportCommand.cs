using System.Management.Automation;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Reporting;
using MnistCnn.Core.Training;

namespace MnistCnn.Cmdlets;

/// <summary>
/// <para type="synopsis">Writes the pictures and the HTML report of a training run, or one report comparing several runs.</para>
/// <para type="description">One result: curves.png, confusion.png, misclassified.png (needs -Dataset) and report.html in
/// -Path (default: the run's own folder). Several results, or -Sweep: sweep.html and sweep-curves.png in -Path.
/// Runs also come from disk (run folders, by the property OutputPath or Folder: Invoke-CnnExperiment, Get-CnnRun -Path)
/// and from MLflow (by ServerRunId, with the server from -TrackingUri or the property Source: Get-CnnRun).</para>
/// </summary>
[Cmdlet(VerbsData.Export, "CnnReport", SupportsShouldProcess = true, DefaultParameterSetName = ResultSet)]
[OutputType(typeof(FileInfo))]
public sealed class ExportCnnReportCommand : PSCmdlet
{
    private const string ResultSet = "Result";
    private const string RunSet = "Run";

    private readonly List<SweepTrial> results = new();

    /// <summary>Training results, usually piped from Start-CnnTraining.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, Position = 0, ParameterSetName = ResultSet)]
    [ValidateNotNull]
    public TrainingResult[] Result { get; set; } = Array.Empty<TrainingResult>();

    /// <summary>A run folder holding result.json (from Invoke-CnnExperiment's OutputPath or Get-CnnRun -Path's Folder).</summary>
    [Parameter(ParameterSetName = RunSet, ValueFromPipelineByPropertyName = true)]
    [Alias("OutputPath", "Folder")]
    public string? RunFolder { get; set; }

    /// <summary>An MLflow run id (Get-CnnRun's ServerRunId), read from the server when there is no run folder.</summary>
    [Parameter(ParameterSetName = RunSet, ValueFromPipelineByPropertyName = true)]
    public string? ServerRunId { get; set; }

    /// <summary>The MLflow server of -ServerRunId (default: the piped run's Source, then $env:MLFLOW_TRACKING_URI).</summary>
    [Parameter(ParameterSetName = RunSet, ValueFromPipelineByPropertyName = true)]
    [Alias("Source")]
    public string? TrackingUri { get; set; }

    /// <summary>Folder to write to (default for one run: its OutputPath).</summary>
    [Parameter(Position = 1)]
    public string? Path { get; set; }

    /// <summary>The dataset the run was tested on: its test images make the grid of worst mistakes.</summary>
    [Parameter]
    public MnistDataset? Dataset { get; set; }

    /// <summary>Compare the runs in one sweep report even when there is only one.</summary>
    [Parameter]
    public SwitchParameter Sweep { get; set; }

    /// <summary>Names of the trials in the sweep report, in order (default: the run names).</summary>
    [Parameter]
    public string[]? Label { get; set; }

    /// <summary>Title of the sweep report.</summary>
    [Parameter]
    public string Title { get; set; } = "Sweep";

    /// <summary>How many mistakes the misclassified grid shows.</summary>
    [Parameter]
    [ValidateRange(0, 1000)]
    public int Mistakes { get; set; } = RunReport.DefaultMistakes;

    protected override void ProcessRecord()
    {
        if (ParameterSetName == ResultSet)
        {
            results.AddRange(Result.Where(r => r is not null).Select(r => new SweepTrial(r.RunName, r)));
            return;
        }
        try
        {
            if (PipedRun.Read(this, RunFolder, ServerRunId, TrackingUri) is { } trial) results.Add(trial);
        }
        catch (MnistCnnException ex)
        {
            WriteError(ErrorRecords.From(ex));
        }
    }

    protected override void EndProcessing()
    {
        if (results.Count == 0) return;
        try
        {
            if (results.Count == 1 && !Sweep.IsPresent) WriteRun(results[0]);
            else WriteSweep();
        }
        catch (MnistCnnException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex));
        }
    }

    private void WriteRun(SweepTrial trial)
    {
        var result = trial.Result;
        if (result.Model.Layers.Count == 0 && result.Epochs.Count > 0 && Path is null && result.OutputPath is null)
        {
            ThrowTerminatingError(ErrorRecords.Create(CmdletErrorIds.ReportFolderMissing, ErrorCategory.InvalidArgument,
                $"Run '{result.RunName}' was read from MLflow and has no run folder here; give the folder to write its report to with -Path.", result.RunName));
            return;
        }
        string? target = Path ?? result.OutputPath;
        if (string.IsNullOrEmpty(target))
        {
            ThrowTerminatingError(ErrorRecords.Create(CmdletErrorIds.ReportFolderMissing, ErrorCategory.InvalidArgument,
                $"Run '{result.RunName}' has no output folder; give one with -Path.", result.RunName));
            return;
        }
        string folder = GetUnresolvedProviderPathFromPSPath(target);
        if (!ShouldProcess(folder, "Write the run's pictures and report.html")) return;
        var names = Dataset?.ClassNames
            ?? (Enum.TryParse<DatasetKind>(result.Dataset, ignoreCase: true, out var kind) ? MnistDataset.ClassNamesOf(kind) : null);
        if (names is not null && names.Count != result.Model.Classes) names = null;
        if (Dataset is null) WriteVerbose("No -Dataset: the grid of misclassified test images is left out.");
        var files = RunReport.Write(folder, result, Dataset?.Test, names, Mistakes);
        foreach (var file in new[] { files.Curves, files.Confusion, files.Misclassified, files.Html })
        {
            if (file is not null) this.WriteItem(file);
        }
    }

    private void WriteSweep()
    {
        string folder = GetUnresolvedProviderPathFromPSPath(Path ?? ".");
        if (!ShouldProcess(folder, $"Write a sweep report of {results.Count} runs")) return;
        var trials = results.Select((t, i) => Label is not null && i < Label.Length ? t with { Label = Label[i] } : t).ToList();
        var files = SweepReport.Write(folder, trials, Title);
        if (files.Curves is not null) this.WriteItem(files.Curves);
        this.WriteItem(files.Html);
    }
}
