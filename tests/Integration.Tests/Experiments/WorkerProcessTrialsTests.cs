using System.Diagnostics;
using MnistCnn.Core.Experiments.Running;
using MnistCnn.Core.Experiments.Sweeps;
using MnistCnn.Core.Training;

namespace MnistCnn.Integration.Tests.Experiments;

/// <summary>
/// <see cref="WorkerProcessTrials"/> with real processes (/bin/sh standing in for the pwsh worker); its in-process
/// logic is tested in Core.Tests' RunnerTests and TrialExecutionTests.
/// </summary>
public sealed class WorkerProcessTrialsTests : IDisposable
{
    private readonly SpecFiles files = new();

    public void Dispose() => files.Dispose();

    private ExperimentPlan Sweep() => ExperimentPlan.Load(files.Write("sweep.yaml",
        "training: { epochs: 2 }",
        "sweep:",
        "  parameters:",
        "    training.learningRate: [0.1, 0.01, 0.001]"));

    /// <summary>Pretends to train: a finished run with one epoch.</summary>
    private static TrainingResult Fake(TrialContext context)
    {
        var now = DateTimeOffset.UtcNow;
        return new TrainingResult
        {
            RunId = Guid.NewGuid().ToString("N"),
            RunName = context.RunName,
            Model = context.Trial.Spec.Model,
            Options = context.Options,
            Dataset = "Mnist",
            Epochs = [new EpochResult(1, 1, 0.5, 0.9, null, null, 0.1, 1.5, 1000)],
            Test = new EvaluationResult(0.1, 0.9, 100, Array.Empty<int>(), Array.Empty<int>(), Array.Empty<float>()),
            Status = RunStatus.Finished,
            Device = "cpu",
            StartTime = now,
            EndTime = now,
            OutputPath = context.Options.OutputPath,
        };
    }

    [SkippableFact]
    public void WorkerProcessesRunTrialsAndTheirRecordsComeBack()
    {
        Skip.IfNot(File.Exists("/bin/sh"), "needs /bin/sh to stand in for the pwsh worker");
        var plan = Sweep();
        // The first trial already finished: no process is started for it.
        new ExperimentRunner((c, _) => Fake(c)).RunTrial(plan, plan.Trials[0]);
        string workerRoot = Path.Combine(files.Root, "worker");
        var started = new List<int>();
        var results = new WorkerProcessTrials((trial, threads) =>
        {
            lock (started) started.Add(trial.Index);
            // A stand-in worker: trial 1 runs the real runner logic through a record written by this process;
            // trial 2 exits with an error and writes nothing.
            if (trial.Index == 1)
            {
                var record = ExperimentRecordFile.ToJson(plan, trial, new ExperimentTrialResult
                {
                    Experiment = plan.Name, TrialIndex = 1, TrialCount = 3, TrialId = trial.Id, TrialName = trial.Name, Settings = trial.Settings,
                    Status = RunStatus.Finished, TestAccuracy = 0.97, OutputPath = trial.OutputPath, SpecHash = trial.SpecHash,
                });
                Directory.CreateDirectory(workerRoot);
                File.WriteAllText(Path.Combine(workerRoot, "record.json"), record.ToJsonString());
                var ok = new ProcessStartInfo("/bin/sh");
                ok.ArgumentList.Add("-c");
                ok.ArgumentList.Add($"mkdir -p '{trial.OutputPath}' && cp '{Path.Combine(workerRoot, "record.json")}' '{Path.Combine(trial.OutputPath, "experiment.json")}' && echo threads={threads}");
                return ok;
            }
            var bad = new ProcessStartInfo("/bin/sh");
            bad.ArgumentList.Add("-c");
            bad.ArgumentList.Add("echo 'worker could not load the module' >&2; exit 3");
            return bad;
        }, 2).Run(plan);
        Assert.Equal(new[] { 1, 2 }, started.Order());
        Assert.Equal(new[] { 0, 1, 2 }, results.Select(r => r.TrialIndex));
        Assert.True(results[0].Skipped);
        Assert.Equal(0.97, results[1].TestAccuracy);
        Assert.Equal(RunStatus.Failed, results[2].Status);
        Assert.Contains("exited with code 3", results[2].Error, StringComparison.Ordinal);
        Assert.Contains("worker could not load the module", results[2].Error, StringComparison.Ordinal);
    }
}
