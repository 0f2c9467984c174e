using MnistCnn.Core.Data;
using MnistCnn.Core.Experiments.Sweeps;
using MnistCnn.Core.Experiments.Running;
using MnistCnn.Core.Tests.Data;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Tests.Experiments;

/// <summary>A two-trial sweep trained for real (2000 training / 500 test images, 1 epoch) through the runner and the Trainer.</summary>
public sealed class EndToEndTests : IDisposable
{
    private readonly SpecFiles files = new();

    public void Dispose() => files.Dispose();

    [SkippableFact]
    public void SmallSweepTrainsEachTrialIntoItsRunFolder()
    {
        var data = DataTestFiles.RealMnistFolder();
        Skip.If(data is null, DataTestFiles.NoRealData);
        var path = files.Write("small.yaml",
            $"data: {{ path: \"{data}\", trainSubset: 2000, testSubset: 500 }}",
            "training: { epochs: 1, seed: 3, threads: 2 }",
            "outputs: { pictures: false }",
            "sweep:",
            "  zip:",
            "    - training.optimizer: [adam, rmsprop]",
            "      training.learningRate: [0.001, 0.002]");
        var plan = ExperimentPlan.Load(path);
        int loads = 0;
        var train = TrialTrainer.Create((kind, folder, token) =>
        {
            loads++;
            return new MnistLoader().Load(kind, folder, new DataLoadOptions { AllowDownload = false, UseCache = false }, token);
        });
        var results = new ExperimentRunner(train).Run(plan);

        Assert.Equal(1, loads);
        Assert.Equal(2, results.Count);
        foreach (var (r, t) in results.Zip(plan.Trials))
        {
            Assert.Equal(RunStatus.Finished, r.Status);
            Assert.InRange(r.TestAccuracy!.Value, 0.3, 1.0);
            Assert.Equal(1, r.EpochsCompleted);
            var result = RunResultFile.Read(t.OutputPath)!;
            Assert.Equal("FINISHED", (string?)result["status"]);
            Assert.Equal(2000, (int?)result["dataset"]!["train"]);
            Assert.Equal(500, (int?)result["dataset"]!["test"]);
            Assert.Equal(r.RunId, (string?)result["runId"]);
            Assert.Equal($"small/{t.Id}", (string?)result["runName"]);
            Assert.True(File.Exists(Path.Combine(t.OutputPath, "spec.yaml")));
            Assert.True(Directory.Exists(Path.Combine(t.OutputPath, MnistCnn.Core.Runs.RunFiles.Model)));
        }
        Assert.Equal(results.Max()!.TestAccuracy, results.Max(r => r.TestAccuracy));

        // Run again: both trials are already finished and nothing trains.
        var again = new ExperimentRunner((_, _) => throw new InvalidOperationException("must not train")).Run(plan);
        Assert.All(again, r => Assert.True(r.Skipped));
    }
}
