using TorchSharp;
using MnistCnn.Core.Experiments.Spec;
using MnistCnn.Core.Experiments.Sweeps;
using MnistCnn.Core.Models;
using MnistCnn.Core.Tests.Experiments;
using MnistCnn.Core.Data;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Training;
using MnistCnn.Core.Training.Settings;
using static TorchSharp.torch;

namespace MnistCnn.Core.Tests.Training;

/// <summary>training.clipGradNorm and training.clipGradValue (-Options ClipGradNorm, ClipGradValue): each one catalog entry plus one line in the loop.</summary>
[Collection(TorchRandomCollection.Name)]
public sealed class GradientClippingTests : IDisposable
{
    private readonly SpecFiles files = new();

    public void Dispose() => files.Dispose();

    private static ModelSpec Small() => new(InputShape.Mnist, 10, new LayerSpec[]
    {
        new Conv2DSpec(4, 3, 3), new MaxPool2DSpec(), new FlattenSpec(), new DenseSpec(16), new DenseSpec(10, Activation.Softmax),
    }, "small");

    /// <summary>L2 distance between the weights a run ended with and the ones its seed starts from.</summary>
    private static (double Distance, int Steps) Moved(double? clip)
    {
        var (sum, _, steps) = Changes(new TrainingOptions { ClipGradNorm = clip });
        return (Math.Sqrt(sum), steps);
    }

    /// <summary>
    /// One epoch of plain SGD (lr 0.1, no momentum or decay) from a fixed seed: the sum of squared weight changes, the
    /// largest change of any single weight and the number of steps.
    /// </summary>
    private static (double SquaredSum, double Largest, int Steps) Changes(TrainingOptions clipping)
    {
        var data = SyntheticData.Create(train: 256, test: 32);
        var options = clipping with { Epochs = 1, BatchSize = 32, Seed = 11, Device = DeviceKind.Cpu, Optimizer = OptimizerKind.Sgd, LearningRate = 0.1 };
        manual_seed(11);
        using var initial = new CnnModel(Small());
        var result = new Trainer().Train(Small(), data, options);
        using var trained = result.TrainedModel!;
        double sum = 0, largest = 0;
        foreach (var (a, b) in initial.parameters().Zip(trained.Network.parameters()))
        {
            using var d = a.detach().sub(b.detach());
            using var two = 2.ToScalar();
            sum += d.pow(two).sum().item<float>();
            largest = Math.Max(largest, d.abs().max().item<float>());
        }
        return (sum, largest, (data.Train.Count + 31) / 32);
    }

    [Fact]
    public void ClippingByValueMovesNoWeightMoreThanLearningRateTimesTheValuePerStep()
    {
        const double clip = 1e-3;
        var (_, clipped, steps) = Changes(new TrainingOptions { ClipGradValue = clip });
        double bound = steps * 0.1 * clip;
        Assert.True(clipped > 0, "clipped training should still move the weights");
        Assert.True(clipped <= bound * 1.001, $"a weight moved {clipped}, more than {steps} steps x lr 0.1 x value {clip} = {bound}");
        var (_, unclipped, _) = Changes(new TrainingOptions());
        Assert.True(unclipped > 10 * bound, $"without clipping no weight moved more than {unclipped}; the bound {bound} would not show clipping");
    }

    [Fact]
    public void ClipGradValueIsSetBySpecsAndOptionsAndItsRangeIsChecked()
    {
        var path = files.Write("value.yaml", "training:", "  clipGradValue: 0.5");
        Assert.Equal(0.5, ExperimentPlan.Load(path).Trials[0].Spec.Training.ClipGradValue);
        Assert.Null(new TrainingOptions().ClipGradValue);

        var bad = files.Write("badvalue.yaml", "training:", "  clipGradValue: -1");
        var d = SpecFiles.Single(SpecFiles.Problems(bad), SpecCodes.TrainingInvalid);
        Assert.Equal((bad, 2, 18), (d.File, d.Line, d.Column));
        Assert.Equal("training.clipGradValue must be positive (got -1).", d.Message);

        var problem = Assert.Single(new TrainingOptions { ClipGradValue = double.NaN }.Validate());
        Assert.Equal("ClipGradValue", problem.Setting.Name);
        var setting = TrainingSettingsCatalog.Get("clipgradvalue");
        Assert.Equal(("training.clipGradValue", true), (setting.YamlPath, setting.IsOptionsKey));
        Assert.Equal(0.25, setting.ValueIn(setting.With(new TrainingOptions(), 0.25)));
    }

    [Fact]
    public void EachStepMovesTheWeightsAtMostLearningRateTimesTheNorm()
    {
        const double clip = 1e-3;
        var (clipped, steps) = Moved(clip);
        double bound = steps * 0.1 * clip;
        Assert.True(clipped > 0, "clipped training should still move the weights");
        Assert.True(clipped <= bound * 1.001, $"moved {clipped}, more than {steps} steps x lr 0.1 x norm {clip} = {bound}");
        var (unclipped, _) = Moved(null);
        Assert.True(unclipped > 10 * bound, $"without clipping the weights moved only {unclipped}; the bound {bound} would not show clipping");
    }

    [Fact]
    public void SpecsAndOptionsSetItAndItsRangeIsChecked()
    {
        var path = files.Write("clip.yaml", "training:", "  clipGradNorm: 1.5");
        Assert.Equal(1.5, ExperimentPlan.Load(path).Trials[0].Spec.Training.ClipGradNorm);
        Assert.Null(new TrainingOptions().ClipGradNorm);

        var bad = files.Write("bad.yaml", "training:", "  clipGradNorm: 0");
        var d = SpecFiles.Single(SpecFiles.Problems(bad), SpecCodes.TrainingInvalid);
        Assert.Equal((bad, 2, 17), (d.File, d.Line, d.Column));
        Assert.Equal("training.clipGradNorm must be positive (got 0).", d.Message);

        var problem = Assert.Single(new TrainingOptions { ClipGradNorm = double.PositiveInfinity }.Validate());
        Assert.Equal("ClipGradNorm", problem.Setting.Name);
        Assert.Equal("training.clipGradNorm", TrainingSettingsCatalog.Get("clipgradnorm").YamlPath);
    }
}
