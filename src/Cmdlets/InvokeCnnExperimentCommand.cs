using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using System.Runtime.InteropServices;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Experiments;
using MnistCnn.Core.Tracking;
using MnistCnn.Core.Training;

namespace MnistCnn.Cmdlets;

/// <summary>
/// <para type="synopsis">Runs an experiment spec: one training run, or every trial of its sweep (or chosen trials).</para>
/// <para type="description">Each trial trains in its own run folder (outputs root/spec name/trial id) with the resolved
/// spec.yaml, result.json and experiment.json. Finished trials are skipped unless -Force; interrupted ones resume from
/// their checkpoint. -ThrottleLimit runs trials in parallel worker processes; -TrialIndex or -UseSchedulerIndex runs
/// one trial per machine. -WhatIf lists the trials and their settings.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "CnnExperiment", SupportsShouldProcess = true, DefaultParameterSetName = AllSet)]
[OutputType(typeof(ExperimentTrialResult))]
public sealed class InvokeCnnExperimentCommand : PSCmdlet
{
    private const string AllSet = "All";
    private const string IndexSet = "Index";
    private const string SchedulerSet = "Scheduler";

    private PipelineReporter? reporter;

    /// <summary>Spec files (YAML). Accepts pipeline input from Get-ChildItem.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ArgumentCompleter(typeof(SpecPathCompleter))]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Run only these trials (0-based, as -WhatIf lists them).</summary>
    [Parameter(Mandatory = true, ParameterSetName = IndexSet)]
    [ValidateRange(0, int.MaxValue)]
    public int[] TrialIndex { get; set; } = Array.Empty<int>();

    /// <summary>
    /// Run the one trial a scheduler's array index names: MNISTCNN_TRIAL_INDEX, JOB_COMPLETION_INDEX (Kubernetes),
    /// SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN (Slurm), AWS_BATCH_JOB_ARRAY_INDEX, SGE_TASK_ID - SGE_TASK_FIRST.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = SchedulerSet)]
    public SwitchParameter UseSchedulerIndex { get; set; }

    /// <summary>Run up to this many trials at once, each in its own PowerShell process (1: one after another in this process).</summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int ThrottleLimit { get; set; } = 1;

    /// <summary>Run trials again even when they already finished with the same spec.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>CPU threads per trial, overriding training.threads (with -ThrottleLimit the cores are shared out by default).</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int? Threads { get; set; }

    protected override void BeginProcessing() => BackendGate.Require(this);

    protected override void ProcessRecord()
    {
        foreach (var p in Path)
        {
            string full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(p);
            ExperimentPlan plan;
            IReadOnlyList<int>? indexes;
            try
            {
                plan = ExperimentPlan.Load(full);
                indexes = SelectIndexes(plan);
            }
            catch (MnistCnnException ex)
            {
                WriteError(ErrorRecords.From(ex));
                continue;
            }

            var chosen = (indexes ?? Enumerable.Range(0, plan.Trials.Count).ToArray()).Where(i => ShouldProcess(Describe(plan.Trials[i]), "Train")).ToList();
            if (chosen.Count == 0) continue;

            var options = new ExperimentRunOptions { Force = Force, Threads = Threads };
            using var pump = new PipelineReporter();
            reporter = pump;
            string? signal = null;
            // SIGTERM (a scheduler's stop) and SIGINT stop the running trial within a batch (KILLED, checkpoint kept)
            // and end the experiment; worker processes get SIGTERM in turn.
            using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; signal = "SIGTERM"; pump.Cancel(); });
            using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { signal ??= "SIGINT"; pump.Cancel(); });
            try
            {
                pump.Run(this, (r, token) =>
                {
                    void Emit(ExperimentTrialResult result)
                    {
                        pump.Post(c => c.WriteObject(result));
                        if (result.Status != RunStatus.Finished) pump.Post(c => c.WriteError(TrialFailed(result)));
                        FinishSweep(plan, r);
                    }
                    if (ThrottleLimit > 1 && chosen.Count > 1)
                    {
                        var runner = new ExperimentRunner((_, _) => throw new InvalidOperationException("Trials run in worker processes."), r);
                        return runner.RunInProcesses(plan, chosen, ThrottleLimit, Worker, options, token, Emit);
                    }
                    var inProcess = new ExperimentRunner(RealTrainer(pump), r);
                    return inProcess.Run(plan, chosen, options, token, Emit);
                });
            }
            catch (MnistCnnException ex)
            {
                WriteError(ErrorRecords.From(ex));
            }
            catch (PipelineStoppedException) when (signal is not null && !Stopping)
            {
                // Reported below.
            }
            finally
            {
                reporter = null;
            }
            if (signal is not null && !Stopping)
            {
                ThrowTerminatingError(new ErrorRecord(
                    new MnistCnnException("TrainingStopped", ErrorKind.OperationStopped,
                        $"{signal} stopped '{plan.Name}'. Interrupted trials keep their checkpoints; run the same command again to resume them (finished trials are skipped).", plan.SpecPath),
                    "TrainingStopped", ErrorCategory.OperationStopped, plan.SpecPath));
            }
        }
    }

    protected override void StopProcessing() => reporter?.Cancel();

    private IReadOnlyList<int>? SelectIndexes(ExperimentPlan plan)
    {
        switch (ParameterSetName)
        {
            case IndexSet:
                foreach (int i in TrialIndex) ExperimentRunner.TrialAt(plan, i, "-TrialIndex");
                return TrialIndex.Distinct().ToArray();
            case SchedulerSet:
                var found = SchedulerIndex.FromEnvironment() ?? throw new MnistCnnException("SchedulerIndexMissing", ErrorKind.InvalidArgument,
                    $"-UseSchedulerIndex found no array index: set {SchedulerIndex.TrialIndexVariable}, or run as a Kubernetes indexed Job (JOB_COMPLETION_INDEX), a Slurm array (SLURM_ARRAY_TASK_ID), an AWS Batch array or a Grid Engine array task.");
                WriteVerbose(string.Create(CultureInfo.InvariantCulture, $"Trial index {found.Index} from {found.Describe}."));
                ExperimentRunner.TrialAt(plan, found.Index, found.Describe);
                return new[] { found.Index };
            default:
                return null;
        }
    }

    private string Describe(ExperimentTrial trial)
    {
        string done = !Force && ExperimentRunner.FinishedResult(trial) is not null ? " [finished: skipped unless -Force]" : "";
        string settings = trial.Settings.Count == 0 ? "" : " " + trial.Name;
        return string.Create(CultureInfo.InvariantCulture, $"{trial.Spec.Name} trial {trial.Index} of {trial.Count} '{trial.Id}'{settings} -> {trial.OutputPath}{done}");
    }

    private static Func<TrialContext, CancellationToken, TrainingResult> RealTrainer(PipelineReporter pump) =>
        TrialTrainer.Create(
            (kind, path, token) => new MnistLoader(pump).Load(kind, path, null, token),
            context =>
            {
                // Every trial gets a journal in its run folder, and goes to MLflow when the spec's tracking.trackingUri
                // or MLFLOW_TRACKING_URI names a server. Experiment: tracking.experiment, MLFLOW_EXPERIMENT_NAME, the spec name.
                // A sweep's trials are children of one parent run, found or created on the server before the child.
                var tracking = SweepTracking.ForTrial(context.Plan, Tracking(context.Trial.Spec, pump), pump);
                return new ITrainingObserver[] { new EpochLines(pump, context.Trial), new RunTracker(tracking, pump) };
            });

    private static TrackingSettings Tracking(ExperimentSpec spec, IReporter reporter)
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("MLFLOW_EXPERIMENT_NAME");
        string experiment = spec.Tracking.Experiment ?? (string.IsNullOrEmpty(fromEnvironment) ? spec.Name : fromEnvironment);
        return TrackingSettings.Resolve(spec.Tracking.TrackingUri, experiment, reporter) with { Tags = spec.Tracking.Tags };
    }

    /// <summary>After each trial: once every trial of the sweep has ended, sweep.html and the parent run are finished.</summary>
    private static void FinishSweep(ExperimentPlan plan, IReporter reporter)
    {
        try
        {
            SweepTracking.TryFinish(plan, Tracking(plan.Trials[0].Spec, NullReporter.Instance), reporter);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or MnistCnnException)
        {
            reporter.Warning($"The sweep report or parent run of '{plan.Name}' could not be written: {ex.Message}");
        }
    }

    /// <summary>The non-terminating error of a trial that did not finish; its target is the trial's result.</summary>
    private static ErrorRecord TrialFailed(ExperimentTrialResult result)
    {
        var ex = new MnistCnnException("TrialFailed", ErrorKind.InvalidOperation, string.Create(CultureInfo.InvariantCulture,
            $"Trial {result.TrialIndex} ({result.TrialId}) of '{result.Experiment}' ended {result.Status}: {result.Error ?? "no error recorded"} Its run folder is {result.OutputPath}; run the spec again to resume it."),
            result.TrialId);
        return new ErrorRecord(ex, "TrialFailed", ErrorRecords.Category(ex.Kind), result) { ErrorDetails = new ErrorDetails(ex.Message) };
    }

    /// <summary>A worker process: the same PowerShell, the same module, one trial by index.</summary>
    private ProcessStartInfo Worker(ExperimentTrial trial, int threads)
    {
        // The laid-out module's manifest when there is one (formats, help), else the assembly itself.
        string assembly = typeof(InvokeCnnExperimentCommand).Assembly.Location;
        string manifest = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(assembly) ?? ".", "MnistCnn.psd1");
        string module = File.Exists(manifest) ? manifest : MyInvocation.MyCommand.Module?.Path is { Length: > 0 } m ? m : assembly;
        var info = new ProcessStartInfo();
        string? host = Environment.ProcessPath;
        string hostName = System.IO.Path.GetFileNameWithoutExtension(host ?? "");
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
        static string Quote(string s) => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";
        string command = string.Create(CultureInfo.InvariantCulture,
            $"$ErrorActionPreference = 'Stop'; $ProgressPreference = 'SilentlyContinue'; $PSStyle.OutputRendering = 'PlainText'; Import-Module {Quote(module)}; " +
            $"Invoke-CnnExperiment -Path {Quote(trial.Spec.SourcePath)} -TrialIndex {trial.Index} -Threads {Threads ?? trial.Spec.Training.Threads ?? threads}{(Force ? " -Force" : "")} -InformationAction Continue | Out-Null");
        foreach (var a in new[] { "-NoProfile", "-NonInteractive", "-Command", command }) info.ArgumentList.Add(a);
        info.WorkingDirectory = SessionState.Path.CurrentFileSystemLocation.ProviderPath;
        return info;
    }

    /// <summary>Each finished epoch as a host line tagged with the trial (information stream; -InformationAction Ignore hides it).</summary>
    private sealed class EpochLines(PipelineReporter pump, ExperimentTrial trial) : ITrainingObserver
    {
        private string Prefix => trial.Count > 1 ? $"[{trial.Spec.Name} {trial.Index}/{trial.Count} {trial.Id}] " : $"[{trial.Spec.Name}] ";

        public void RunStarted(RunStartInfo run) =>
            pump.Verbose($"{Prefix}run {run.RunId} on {run.Device}: {run.TrainCount} training, {run.ValidationCount} validation, {run.TestCount} test images.");

        public void EpochCompleted(RunStartInfo run, EpochResult epoch) =>
            pump.Post(c => c.WriteInformation(new InformationRecord(Prefix + epoch, "Invoke-CnnExperiment") { Tags = { "PSHOST", StartCnnTrainingCommand.EpochTag } }));

        public void RunEnded(RunStartInfo run, TrainingResult result)
        {
            if (result.TestAccuracy is { } accuracy) pump.Verbose($"{Prefix}test accuracy {accuracy:P2}, test loss {result.TestLoss:F4}.");
        }
    }
}
