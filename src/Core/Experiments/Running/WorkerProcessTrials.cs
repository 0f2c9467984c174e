using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Training;
using MnistCnn.Core.Experiments.Sweeps;

namespace MnistCnn.Core.Experiments.Running;

/// <summary>
/// Runs trials out of process: one worker process per trial (see <see cref="WorkerCommand"/>), given its resolved
/// trial in a <see cref="TrialFile"/> written to a temporary folder (removed afterwards), at most a throttle limit at once, each worker running its trial in process with <see cref="ExperimentRunner"/>. Each trial's outcome is
/// read back from its experiment.json. Trials already finished (unless forced) or running elsewhere are not started.
/// A stop reaches the workers as SIGTERM: they end their trials KILLED with the checkpoints kept.
/// </summary>
public sealed class WorkerProcessTrials : ITrialExecutor
{
    private readonly Func<ExperimentPlan, ExperimentTrial, int, ExperimentRunOptions, string, ProcessStartInfo> worker;
    private readonly int throttleLimit;
    private readonly IReporter reporter;

    /// <summary>How PowerShell prints a warning on stdout (the worker runs with plain-text output).</summary>
    private const string WorkerWarning = "WARNING: ";

    /// <summary>Workers that run the pwsh command line of <paramref name="command"/>.</summary>
    public WorkerProcessTrials(WorkerCommand command, int throttleLimit, IReporter? reporter = null)
        : this(throttleLimit, reporter, Starting(command ?? throw new ArgumentNullException(nameof(command))))
    {
    }

    /// <summary>Workers started from <paramref name="worker"/>: the trial and a thread count to use when neither the options nor the spec set one.</summary>
    public WorkerProcessTrials(Func<ExperimentTrial, int, ProcessStartInfo> worker, int throttleLimit, IReporter? reporter = null)
        : this(throttleLimit, reporter, worker is null ? throw new ArgumentNullException(nameof(worker)) : (_, trial, threads, _, _) => worker(trial, threads))
    {
    }

    private static Func<ExperimentPlan, ExperimentTrial, int, ExperimentRunOptions, string, ProcessStartInfo> Starting(WorkerCommand command) =>
        (plan, trial, threads, options, folder) => command.For(TrialFile.Write(plan, trial, folder), trial, threads, options);

    private WorkerProcessTrials(int throttleLimit, IReporter? reporter, Func<ExperimentPlan, ExperimentTrial, int, ExperimentRunOptions, string, ProcessStartInfo> worker)
    {
        this.worker = worker;
        this.throttleLimit = Math.Max(1, throttleLimit);
        this.reporter = reporter ?? NullReporter.Instance;
    }

    /// <inheritdoc />
    public IReadOnlyList<ExperimentTrialResult> Run(ExperimentPlan plan, IReadOnlyList<int>? indexes = null, ExperimentRunOptions? options = null,
        CancellationToken cancellationToken = default, Action<ExperimentTrialResult>? completed = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        options ??= new ExperimentRunOptions();
        var trials = (indexes ?? Enumerable.Range(0, plan.Trials.Count).ToArray()).Select(i => ExperimentRunner.TrialAt(plan, i)).ToList();
        var results = new ConcurrentDictionary<int, ExperimentTrialResult>();
        var pending = new List<ExperimentTrial>();
        var records = options.Records ?? new TrialRecords();
        foreach (var t in trials)
        {
            if (!options.Force && records.Of(t).Finished is { } done)
            {
                reporter.Verbose($"Trial {t.Index} ({t.Id}) already finished with this spec; skipping it.");
                results[t.Index] = done;
                completed?.Invoke(done);
            }
            else if (RunLock.IsHeld(t.OutputPath, out var owner))
            {
                var running = ExperimentRunner.RunningElsewhere(reporter, plan, t, owner);
                results[t.Index] = running;
                completed?.Invoke(running);
            }
            else pending.Add(t);
        }
        int threads = options.Threads ?? Math.Max(1, Environment.ProcessorCount / Math.Min(throttleLimit, Math.Max(1, pending.Count)));
        int finished = 0;
        string trialFiles = Path.Combine(Path.GetTempPath(), "mnistcnn-trials-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            Parallel.ForEach(pending, new ParallelOptions { MaxDegreeOfParallelism = throttleLimit, CancellationToken = cancellationToken }, trial =>
            {
                var info = worker(plan, trial, threads, options, trialFiles);
                info.RedirectStandardOutput = true;
                info.RedirectStandardError = true;
                info.UseShellExecute = false;
                var errors = new ConcurrentQueue<string>();
                using var process = new Process { StartInfo = info };
                // The worker's stdout is its information stream (epoch lines, already tagged with the trial) and its
                // warnings: they reach the user as they would from an in-process trial.
                process.OutputDataReceived += (_, e) =>
                {
                    if (e.Data is not { Length: > 0 } line) return;
                    if (line.StartsWith(WorkerWarning, StringComparison.Ordinal)) reporter.Warning($"[trial {trial.Index}] {line[WorkerWarning.Length..]}");
                    else reporter.Information(line);
                };
                process.ErrorDataReceived += (_, e) =>
                {
                    if (e.Data is not { Length: > 0 } line) return;
                    errors.Enqueue(line);
                    while (errors.Count > 40) errors.TryDequeue(out string? _);
                    reporter.Verbose($"[trial {trial.Index}] {line}");
                };
                reporter.Verbose($"Trial {trial.Index} ({trial.Id}) starts in a worker process: {info.FileName} {string.Join(' ', info.ArgumentList)}");
                process.Start();
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                // A stop reaches the worker as SIGTERM: it ends its trial KILLED with the checkpoint kept, as a scheduler's stop would.
                using (cancellationToken.Register(() => ProcessStop.Gracefully(process, TimeSpan.FromSeconds(30))))
                {
                    process.WaitForExit();
                }
                var record = ExperimentRecordFile.ReadResult(trial);
                if ((process.ExitCode != 0 || record?.Status == RunStatus.Running) && RunLock.IsHeld(trial.OutputPath, out var holder))
                {
                    // The worker found the trial running elsewhere (it started between our check and the worker's).
                    record = ExperimentRunner.RunningElsewhere(reporter, plan, trial, holder);
                }
                else if (record is null || record.SpecHash != trial.SpecHash || record.Status == RunStatus.Running)
                {
                    string why = process.ExitCode == 0 ? "the worker wrote no result" : string.Create(CultureInfo.InvariantCulture, $"the worker exited with code {process.ExitCode}");
                    record = ExperimentRunner.Result(trial, RunStatus.Failed, null, DateTimeOffset.UtcNow, $"{why}: {string.Join(" ", errors).Trim()}".Trim(' ', ':'), false);
                }
                results[trial.Index] = record;
                completed?.Invoke(record);
                int n = Interlocked.Increment(ref finished);
                reporter.Progress(new ProgressInfo("Experiment " + plan.Name, string.Create(CultureInfo.InvariantCulture, $"{n}/{pending.Count} trials done"), n * 100 / Math.Max(1, pending.Count), Id: 10));
            });
        }
        finally
        {
            if (Directory.Exists(trialFiles)) Directory.Delete(trialFiles, recursive: true);
        }
        reporter.Progress(new ProgressInfo("Experiment " + plan.Name, "Done", 100, Id: 10, Completed: true));
        ExperimentRunner.WriteSummary(plan);
        return results.Values.OrderBy(r => r.TrialIndex).ToList();
    }
}
