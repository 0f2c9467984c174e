using System.Globalization;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Training;
using MnistCnn.Core.Experiments.Sweeps;

namespace MnistCnn.Core.Experiments.Running;

/// <summary>What a trial's training function gets: the trial, the options to train with, its run folder.</summary>
/// <param name="Plan">The experiment the trial belongs to.</param>
/// <param name="Trial">The trial: its typed spec, settings and id.</param>
/// <param name="Options">The trial's training options with <see cref="TrainingOptions.OutputPath"/> set to its run folder (and any thread override).</param>
/// <param name="RunName">Run name for trackers: spec name / trial id.</param>
/// <param name="ResumeFrom">The run folder to resume from when an earlier attempt was interrupted after a checkpoint; null to start fresh.</param>
/// <param name="Reporter">Where to report progress.</param>
public sealed record TrialContext(ExperimentPlan Plan, ExperimentTrial Trial, TrainingOptions Options, string RunName, string? ResumeFrom, IReporter Reporter)
{
    /// <summary>The trial folder's lock, held by the runner for the whole trial (pass it to the Trainer).</summary>
    public RunLock? FolderLock { get; init; }
}

/// <summary>How to run trials: re-run finished ones, override outputs root or threads.</summary>
public sealed record ExperimentRunOptions
{
    /// <summary>Run trials again even when their experiment.json says Finished with the same spec.</summary>
    public bool Force { get; init; }
    /// <summary>CPU threads per trial, overriding training.threads (not part of the spec, so it does not change the hash).</summary>
    public int? Threads { get; init; }
    /// <summary>What this invocation has read of the trials' folders (the description of -WhatIf/-Confirm); null: read afresh.</summary>
    public TrialRecords? Records { get; init; }
}

/// <summary>
/// Runs an experiment's trials, each in its own run folder (outputs root / spec name / trial id) holding the resolved
/// <c>spec.yaml</c>, the trainer's files and <c>experiment.json</c>. Trials that already finished with the same
/// resolved spec are skipped (unless forced), interrupted ones resume from their checkpoint, so a sweep can be
/// re-run after an interruption, or fanned out one trial per machine by index. Training itself is a function given
/// to the constructor (<see cref="TrialTrainer"/> builds the real one), so tests can run without libtorch.
/// </summary>
public sealed class ExperimentRunner : ITrialExecutor
{
    private readonly Func<TrialContext, CancellationToken, TrainingResult> train;
    private readonly IReporter reporter;

    public ExperimentRunner(Func<TrialContext, CancellationToken, TrainingResult> train, IReporter? reporter = null)
    {
        this.train = train ?? throw new ArgumentNullException(nameof(train));
        this.reporter = reporter ?? NullReporter.Instance;
    }

    /// <summary>
    /// The trial a 0-based index names, with a clear error when the sweep is smaller; <paramref name="source"/> names
    /// where the index came from (-TrialIndex, SLURM_ARRAY_TASK_ID, ...) for that message.
    /// </summary>
    public static ExperimentTrial TrialAt(ExperimentPlan plan, int index, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (index < 0 || index >= plan.Trials.Count)
        {
            string from = source is null ? "" : $" (from {source})";
            throw new MnistCnnException(ExperimentsErrorIds.TrialIndexOutOfRange, ErrorKind.InvalidArgument, string.Create(CultureInfo.InvariantCulture,
                $"Trial index {index}{from} is outside '{plan.Name}', which has {plan.Trials.Count} trial{(plan.Trials.Count == 1 ? "" : "s")} (indexes 0 to {plan.Trials.Count - 1})."),
                index.ToString(CultureInfo.InvariantCulture));
        }
        return plan.Trials[index];
    }

    /// <summary>The finished result of a trial when it can be skipped (Finished, same spec hash), else null.</summary>
    public static ExperimentTrialResult? FinishedResult(ExperimentTrial trial) => new TrialRecords().Of(trial).Finished;

    /// <summary>What -WhatIf and -Confirm show of a trial: spec, index, id, settings, run folder, and whether it would be skipped.</summary>
    /// <param name="trial">The trial.</param>
    /// <param name="force">Whether finished trials run again.</param>
    /// <param name="records">Where the trial's folder is read (pass the same to the executor in <see cref="ExperimentRunOptions.Records"/>, so it is read once).</param>
    public static string Describe(ExperimentTrial trial, bool force, TrialRecords? records = null)
    {
        ArgumentNullException.ThrowIfNull(trial);
        string done = !force && (records ?? new TrialRecords()).Of(trial).Finished is not null ? " [finished: skipped unless -Force]" : "";
        string settings = trial.Settings.Count == 0 ? "" : " " + trial.Name;
        return string.Create(CultureInfo.InvariantCulture, $"{trial.Spec.Name} trial {trial.Index} of {trial.Count} '{trial.Id}'{settings} -> {trial.OutputPath}{done}");
    }

    /// <summary>The TrialFailed error of a trial that did not finish (its target: the trial id).</summary>
    public static MnistCnnException TrialFailed(ExperimentTrialResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new MnistCnnException(ExperimentsErrorIds.TrialFailed, ErrorKind.InvalidOperation, string.Create(CultureInfo.InvariantCulture,
            $"Trial {result.TrialIndex} ({result.TrialId}) of '{result.Experiment}' ended {result.Status}: {result.Error ?? "no error recorded"} Its run folder is {result.OutputPath}; run the spec again to resume it."),
            result.TrialId);
    }

    /// <summary>Runs the trials at <paramref name="indexes"/> (all when null) one after another, then writes summary.json.</summary>
    /// <param name="plan">The experiment.</param>
    /// <param name="indexes">Trial indexes to run; null: all.</param>
    /// <param name="options">Force, thread override.</param>
    /// <param name="cancellationToken">Stops the running trial (its checkpoint stays for a resume).</param>
    /// <param name="completed">Called with each trial's result as soon as it is known.</param>
    public IReadOnlyList<ExperimentTrialResult> Run(ExperimentPlan plan, IReadOnlyList<int>? indexes = null, ExperimentRunOptions? options = null,
        CancellationToken cancellationToken = default, Action<ExperimentTrialResult>? completed = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var trials = (indexes ?? Enumerable.Range(0, plan.Trials.Count).ToArray()).Select(i => TrialAt(plan, i)).ToList();
        var results = new List<ExperimentTrialResult>();
        for (int n = 0; n < trials.Count; n++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            reporter.Progress(new ProgressInfo("Experiment " + plan.Name, string.Create(CultureInfo.InvariantCulture, $"Trial {n + 1}/{trials.Count}: {trials[n].Id}"), n * 100 / trials.Count, Id: 10));
            var result = RunTrial(plan, trials[n], options, cancellationToken);
            results.Add(result);
            completed?.Invoke(result);
        }
        reporter.Progress(new ProgressInfo("Experiment " + plan.Name, "Done", 100, Id: 10, Completed: true));
        WriteSummary(plan);
        return results;
    }

    /// <summary>Runs one trial in this process (or returns its earlier result when it already finished).</summary>
    public ExperimentTrialResult RunTrial(ExperimentPlan plan, ExperimentTrial trial, ExperimentRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(trial);
        options ??= new ExperimentRunOptions();
        var records = options.Records ?? new TrialRecords();
        string folder = trial.OutputPath;
        // One writer per trial folder: a scheduler's second attempt of a trial that is still running elsewhere
        // reports it as running and touches nothing (a finished one is still skipped).
        if (!RunLock.TryAcquire(folder, $"trial {trial.Index} of {plan.Name}", out var folderLock, out var owner))
        {
            return !options.Force && records.Of(trial).Finished is { } finished ? Skipped(plan, trial, finished) : RunningElsewhere(reporter, plan, trial, owner);
        }
        using var heldLock = folderLock;
        // Under the lock: whether it finished, and how to prepare its folder (read once: reused from -WhatIf/-Confirm's description when unchanged).
        var record = records.Of(trial);
        if (!options.Force && record.Finished is { } done) return Skipped(plan, trial, done);
        string? resumeFrom = PrepareFolder(trial, folder, options.Force, record.Previous);
        File.WriteAllText(Path.Combine(folder, ExperimentRecordFile.SpecFileName),
            $"# Resolved trial {trial.Index} of {trial.Count} of {plan.SpecPath}\n# (extends and sweep applied; run it again with Invoke-CnnExperiment -Path on this file)\n" + trial.ResolvedYaml);

        var trainingOptions = trial.Spec.Training with
        {
            OutputPath = folder,
            Threads = options.Threads ?? trial.Spec.Training.Threads,
        };
        var start = DateTimeOffset.UtcNow;
        var running = Result(trial, RunStatus.Running, null, start, null, resumeFrom is not null);
        ExperimentRecordFile.Write(folder, ExperimentRecordFile.ToJson(plan, trial, running));
        reporter.Verbose(resumeFrom is null
            ? $"Trial {trial.Index} ({trial.Id}) of '{plan.Name}' starts in {folder}."
            : $"Trial {trial.Index} ({trial.Id}) of '{plan.Name}' resumes from its checkpoint in {folder}.");

        ExperimentTrialResult outcome;
        try
        {
            var context = new TrialContext(plan, trial, trainingOptions, $"{trial.Spec.Name}/{trial.Id}", resumeFrom, reporter) { FolderLock = folderLock };
            var result = train(context, cancellationToken);
            try
            {
                outcome = Result(trial, result.Status, result, start, result.Error, resumeFrom is not null);
            }
            finally
            {
                result.TrainedModel?.Dispose();
            }
        }
        catch (OperationCanceledException)
        {
            ExperimentRecordFile.Write(folder, ExperimentRecordFile.ToJson(plan, trial, Result(trial, RunStatus.Killed, null, start, "Stopped before the trial finished.", resumeFrom is not null)));
            throw;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            outcome = Result(trial, RunStatus.Failed, null, start, ex.Message, resumeFrom is not null);
        }
        ExperimentRecordFile.Write(folder, ExperimentRecordFile.ToJson(plan, trial, outcome));
        // The result carries the status and error (Invoke-CnnExperiment turns it into a TrialFailed error).
        if (outcome.Status != RunStatus.Finished) reporter.Verbose($"Trial {trial.Index} ({trial.Id}) of '{plan.Name}' ended {outcome.Status}: {outcome.Error}");
        return outcome;
    }

    /// <summary>Writes summary.json with what every trial of the plan has left so far (not for a worker's part of a plan: its parent writes it).</summary>
    public static void WriteSummary(ExperimentPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.IsPart) return;
        var all = plan.Trials.Select(t => (t, ExperimentRecordFile.ReadResult(t) is { } r && r.SpecHash == t.SpecHash ? r : null)).ToList();
        ExperimentRecordFile.WriteSummary(plan, all);
    }

    /// <summary>
    /// Makes the run folder ready: a folder left by a different spec (other hash) is moved aside, never mixed;
    /// an interrupted attempt with the same spec and a checkpoint is resumed (unless forced).
    /// </summary>
    private string? PrepareFolder(ExperimentTrial trial, string folder, bool force, ExperimentTrialResult? previous)
    {
        bool hasFiles = Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any(e => !RunFiles.IsFolderFile(Path.GetFileName(e)));
        if (hasFiles && (force || previous is null || previous.SpecHash != trial.SpecHash))
        {
            // The run moves aside; the folder's lock (held by this runner) stays.
            string aside = RunFolder.MoveAside(folder);
            reporter.Warning($"The run folder {folder} held {(force ? "an earlier run (-Force)" : "a run of a different spec")}; it was moved to {aside}.");
            hasFiles = false;
        }
        Directory.CreateDirectory(folder);
        if (hasFiles && previous is { Status: not RunStatus.Finished } && (Directory.Exists(Path.Combine(folder, RunFiles.Checkpoint)) || Directory.Exists(Path.Combine(folder, RunFiles.Checkpoint + IO.AtomicFolder.OldSuffix))))
        {
            return folder;
        }
        if (hasFiles)
        {
            foreach (var stale in new[] { RunResultFile.FileName, ExperimentRecordFile.FileName })
            {
                if (File.Exists(Path.Combine(folder, stale))) File.Delete(Path.Combine(folder, stale));
            }
        }
        return null;
    }

    private ExperimentTrialResult Skipped(ExperimentPlan plan, ExperimentTrial trial, ExperimentTrialResult done)
    {
        reporter.Verbose($"Trial {trial.Index} ({trial.Id}) of '{plan.Name}' already finished with this spec in {trial.OutputPath}; skipping it (use -Force to run it again).");
        return done;
    }

    /// <summary>A trial another process is writing now: reported as running, its folder untouched.</summary>
    internal static ExperimentTrialResult RunningElsewhere(IReporter reporter, ExperimentPlan plan, ExperimentTrial trial, LockOwner? owner)
    {
        string message = RunLock.InUse(trial.OutputPath, owner).Message;
        reporter.Warning($"Trial {trial.Index} ({trial.Id}) of '{plan.Name}' is running elsewhere; it is not started again. {message}");
        return Result(trial, RunStatus.Running, null, owner?.Since, message, false);
    }

    internal static ExperimentTrialResult Result(ExperimentTrial trial, RunStatus status, TrainingResult? result, DateTimeOffset? start, string? error, bool resumed) => new(trial, status, trial.SpecHash)
    {
        Resumed = resumed,
        TestAccuracy = result?.TestAccuracy,
        TestLoss = result?.TestLoss,
        BestValidationAccuracy = result?.Epochs.Max(e => e.ValidationAccuracy),
        EpochsCompleted = result?.Epochs.Count ?? 0,
        TrainSeconds = result?.TrainSeconds ?? 0,
        RunId = result?.RunId,
        Device = result?.Device,
        Error = error,
        StartTime = start,
        EndTime = status is RunStatus.Running ? null : DateTimeOffset.UtcNow,
    };
}
