using System.Management.Automation;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Tracking;
using MnistCnn.Core.Training;

namespace MnistCnn.Cmdlets;

/// <summary>
/// <para type="synopsis">Trains a CNN on a dataset and evaluates it on the test split.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "CnnTraining", SupportsShouldProcess = true, DefaultParameterSetName = NewRunSet)]
[OutputType(typeof(TrainingResult))]
public sealed class StartCnnTrainingCommand : PSCmdlet
{
    private const string NewRunSet = "NewRun";
    private const string ResumeSet = "Resume";
    /// <summary>Information-stream tag on every epoch record (PSHOST makes the line show like Write-Host).</summary>
    public const string EpochTag = EpochLines.EpochTag;

    private PipelineReporter? reporter;

    /// <summary>The model to train (from New-CnnModel). Defaults to the tutorial's model shaped for the dataset.</summary>
    [Parameter(ValueFromPipeline = true, Position = 0)]
    public ModelDefinition? Model { get; set; }

    /// <summary>The data (from Import-MnistData); taken from the piped model's Dataset property when not given.</summary>
    [Parameter(ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    public MnistDataset? Dataset { get; set; }

    [Parameter]
    [ValidateRange(1, 100000)]
    public int Epochs { get; set; } = 5;

    [Parameter]
    [ValidateRange(1, 1000000)]
    public int BatchSize { get; set; } = 64;

    [Parameter]
    public OptimizerKind Optimizer { get; set; } = OptimizerKind.RmsProp;

    /// <summary>Learning rate (default: 0.001, or 0.01 for Sgd, as in Keras).</summary>
    [Parameter]
    public double? LearningRate { get; set; }

    [Parameter]
    public LearningRateScheduleKind Schedule { get; set; } = LearningRateScheduleKind.Constant;

    /// <summary>Fraction of the training data held out for validation (from its end, as Keras does).</summary>
    [Parameter]
    [ValidateRange(0.0, 0.99)]
    public double ValidationSplit { get; set; }

    /// <summary>Stop after this many epochs without a better validation loss (needs -ValidationSplit).</summary>
    [Parameter]
    [ValidateRange(1, 10000)]
    public int? EarlyStoppingPatience { get; set; }

    /// <summary>Same seed, same data, CPU: same metrics.</summary>
    [Parameter]
    public int? Seed { get; set; }

    [Parameter]
    public DeviceKind Device { get; set; } = DeviceKind.Auto;

    [Parameter]
    [ValidateRange(1, 1024)]
    public int? Threads { get; set; }

    /// <summary>
    /// Run folder: checkpoints after every epoch, the saved model, result.json, journal.jsonl and pictures.
    /// Default: a new folder named after the run under $env:MNISTCNN_RUNS_DIR, or ./runs.
    /// </summary>
    [Parameter(ParameterSetName = NewRunSet)]
    public string? OutputPath { get; set; }

    /// <summary>Start a new run in an -OutputPath that already holds a run: the earlier run is moved aside first.</summary>
    [Parameter(ParameterSetName = NewRunSet)]
    public SwitchParameter Force { get; set; }

    /// <summary>A run folder (or its checkpoint folder) to continue from; training goes on in that folder.</summary>
    [Parameter(ParameterSetName = ResumeSet, Mandatory = true)]
    [ArgumentCompleter(typeof(RunFolderCompleter))]
    public string ResumeFrom { get; set; } = "";

    [Parameter]
    public string? RunName { get; set; }

    /// <summary>MLflow tracking server (http or https). Default: $env:MLFLOW_TRACKING_URI; without one the run is journaled locally only.</summary>
    [Parameter]
    public string? TrackingUri { get; set; }

    /// <summary>MLflow experiment name (default: $env:MLFLOW_EXPERIMENT_NAME, else MLflow's "Default").</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ExperimentNameCompleter))]
    public string? Experiment { get; set; }

    /// <summary>Do not write the pictures (curves, confusion matrix, mistakes) and report.html into the run folder.</summary>
    [Parameter]
    public SwitchParameter NoReport { get; set; }

    /// <summary>Distort every training batch at random (shift, rotation, scaling, elastic), with AugmentationOptions.Default.</summary>
    [Parameter]
    public SwitchParameter Augment { get; set; }

    /// <summary>Extra training options (any TrainingOptions property, e.g. @{ WeightDecay = 1e-4; LabelSmoothing = 0.1 }).</summary>
    [Parameter]
    public TrainingOptionsTable? Options { get; set; }

    /// <summary>Tags for the run in MLflow and its journal, e.g. @{ team = 'vision'; ticket = 'ML-42' }.</summary>
    [Parameter]
    public System.Collections.Hashtable? Tag { get; set; }

    /// <summary>
    /// Runs after every epoch on the pipeline thread with the EpochResult as its argument (and as $_); training
    /// stops after that epoch, as a finished run, when the block outputs $false.
    /// </summary>
    [Parameter]
    public ScriptBlock? OnEpochEnd { get; set; }

    protected override void BeginProcessing() => BackendGate.Require(this);

    protected override void ProcessRecord()
    {
        try
        {
            var request = TrainingRequest.Bind(this, ParameterSetName == ResumeSet);
            if (ShouldProcess(request.Target, "Train")) Train(request);
        }
        catch (MnistCnnException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex));
        }
    }

    protected override void StopProcessing() => reporter?.Cancel();

    private void Train(TrainingRequest request)
    {
        using var pump = new PipelineReporter();
        reporter = pump;
        using var signals = new StopSignals(pump);
        try
        {
            var settings = TrackingSettings.Resolve(TrackingUri, Experiment, pump) with { Tags = request.Tags };
            using var tracker = new RunTracker(settings, pump);
            var observers = request.Observers(pump, tracker, OnEpochEnd);
            using var folderLock = request.Resume ? null : RunFolder.ClaimForNewRun(request.OutputPath, Force, pump);
            var result = pump.Run(this, (r, token) => request.Train(pump, observers, token, folderLock));
            if (result.Status == RunStatus.Killed)
            {
                result.TrainedModel?.Dispose();
                StoppedRun.Report(this, result, signals.Signal);
                return;
            }
            WriteObject(result);
        }
        finally
        {
            reporter = null;
        }
    }
}
