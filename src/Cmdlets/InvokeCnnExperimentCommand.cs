using System.Globalization;
using System.Management.Automation;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Experiments.Sweeps;
using MnistCnn.Core.Experiments.Running;
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
                plan = TrialFile.LoadPlan(full);
                indexes = SelectIndexes(plan);
            }
            catch (MnistCnnException ex)
            {
                WriteError(ErrorRecords.From(ex));
                continue;
            }

            // Each trial's folder is read once: for its description here, and again by the runner only if it changed since.
            var records = new TrialRecords();
            var chosen = (indexes ?? Enumerable.Range(0, plan.Trials.Count).ToArray()).Where(i => ShouldProcess(ExperimentRunner.Describe(plan.Trials[i], Force, records), "Train")).ToList();
            if (chosen.Count == 0) continue;

            var options = new ExperimentRunOptions { Force = Force, Threads = Threads, Records = records };
            using var pump = new PipelineReporter();
            reporter = pump;
            // A signal stops the running trial within a batch (KILLED, checkpoint kept) and ends the experiment; worker processes get SIGTERM in turn.
            using var signals = new StopSignals(pump);
            try
            {
                pump.Run(this, (r, token) =>
                {
                    void Emit(ExperimentTrialResult result)
                    {
                        pump.Post(c => c.WriteObject(result));
                        // A trial that failed, or was killed from outside, is an error; one running in another process
                        // is not (it was left alone), and one this process stopped on a signal ends as TrainingStopped.
                        if (result.Status == RunStatus.Failed || (result.Status == RunStatus.Killed && signals.Signal is null && !token.IsCancellationRequested))
                        {
                            pump.Post(c => c.WriteError(ErrorRecords.From(ExperimentRunner.TrialFailed(result), result)));
                        }
                        TrialTracking.FinishSweep(plan, r);
                    }
                    return TrialExecutors.For(this, ThrottleLimit, chosen.Count, pump, r).Run(plan, chosen, options, token, Emit);
                });
            }
            catch (MnistCnnException ex)
            {
                WriteError(ErrorRecords.From(ex));
            }
            catch (PipelineStoppedException) when (signals.Signal is not null && !Stopping)
            {
                // Reported below.
            }
            finally
            {
                reporter = null;
            }
            if (signals.Signal is { } signal && !Stopping)
            {
                throw StopSignals.Stopped(this,
                    $"{signal} stopped '{plan.Name}'. Interrupted trials keep their checkpoints; run the same command again to resume them (finished trials are skipped).", plan.SpecPath);
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
                var found = SchedulerIndex.FromEnvironment() ?? throw new MnistCnnException(CmdletErrorIds.SchedulerIndexMissing, ErrorKind.InvalidArgument,
                    $"-UseSchedulerIndex found no array index: set {SchedulerIndex.TrialIndexVariable}, or run as a Kubernetes indexed Job (JOB_COMPLETION_INDEX), a Slurm array (SLURM_ARRAY_TASK_ID), an AWS Batch array or a Grid Engine array task.");
                WriteVerbose(string.Create(CultureInfo.InvariantCulture, $"Trial index {found.Index} from {found.Describe}."));
                ExperimentRunner.TrialAt(plan, found.Index, found.Describe);
                return new[] { found.Index };
            default:
                return null;
        }
    }
}
