using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Experiments.Spec;
using MnistCnn.Core.Experiments.Sweeps;

namespace MnistCnn.Core.Tests.Experiments;

public sealed class SpecValidationTests : IDisposable
{
    private readonly SpecFiles files = new();

    public void Dispose() => files.Dispose();

    private (string Path, IReadOnlyList<SpecDiagnostic> Problems) Bad(params string[] lines)
    {
        var path = files.Write("bad.yaml", lines);
        return (path, SpecFiles.Problems(path));
    }

    private static void At(SpecDiagnostic d, string path, int line, int column)
    {
        Assert.Equal(path, d.File);
        Assert.True((line, column) == (d.Line, d.Column), $"expected ({line},{column}) for: {d}");
    }

    [Fact]
    public void YamlSyntaxErrorIsReportedWithItsPosition()
    {
        var (path, problems) = Bad("training:", "  epochs: [1, 2", "  batchSize: 3");
        var d = Assert.Single(problems);
        Assert.Equal(SpecCodes.YamlSyntax, d.Code);
        Assert.Equal(path, d.File);
        Assert.True(d.Line >= 2, d.ToString());
        Assert.StartsWith("YAML syntax error", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicateKeyIsASyntaxError()
    {
        var (path, problems) = Bad("training:", "  epochs: 1", "  epochs: 2");
        var d = Assert.Single(problems);
        Assert.Equal(SpecCodes.YamlSyntax, d.Code);
        At(d, path, 3, 3);
    }

    [Fact]
    public void UnknownKeysGetADidYouMeanSuggestion()
    {
        var (path, problems) = Bad("trainng:", "  epochs: 1", "model:", "  preset: keras-seed", "  layer: []", "training:", "  learningrate: 0.01", "  zzzzzz: 1");
        Assert.Equal(4, problems.Count(p => p.Code == SpecCodes.UnknownKey));
        var top = problems.Single(p => p.Message.Contains("'trainng'", StringComparison.Ordinal));
        At(top, path, 1, 1);
        Assert.Contains("did you mean 'training'?", top.Message, StringComparison.Ordinal);
        var nested = problems.Single(p => p.Message.Contains("'learningrate'", StringComparison.Ordinal));
        At(nested, path, 7, 3);
        Assert.Contains("did you mean 'learningRate'?", nested.Message, StringComparison.Ordinal);
        Assert.Contains("did you mean 'layers'?", problems.Single(p => p.Message.Contains("'layer'", StringComparison.Ordinal)).Message, StringComparison.Ordinal);
        var far = problems.Single(p => p.Message.Contains("'zzzzzz'", StringComparison.Ordinal));
        Assert.DoesNotContain("did you mean", far.Message, StringComparison.Ordinal);
        Assert.Contains("known keys are epochs, batchSize", far.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WrongTypesAreReportedAtTheValue()
    {
        var (path, problems) = Bad("training:", "  epochs: five", "  batchSize: 6.5", "  nesterov: maybe", "  learningRate: \"0.1\"", "data: [1, 2]");
        Assert.Equal(5, problems.Count(p => p.Code == SpecCodes.WrongType));
        At(problems.Single(p => p.Message.StartsWith("training.epochs", StringComparison.Ordinal)), path, 2, 11);
        At(problems.Single(p => p.Message.StartsWith("training.batchSize", StringComparison.Ordinal)), path, 3, 14);
        At(problems.Single(p => p.Message.StartsWith("training.nesterov", StringComparison.Ordinal)), path, 4, 13);
        At(problems.Single(p => p.Message.StartsWith("training.learningRate", StringComparison.Ordinal)), path, 5, 17);
        var data = problems.Single(p => p.Message.StartsWith("data must be a mapping", StringComparison.Ordinal));
        At(data, path, 6, 7);
    }

    [Fact]
    public void OutOfRangeTrainingValuesAreMappedToTheirKeys()
    {
        var (path, problems) = Bad("data:", "  validationSplit: 1.5", "training:", "  epochs: 0", "  learningRate: -0.001", "  schedule:", "    gamma: 2");
        Assert.All(problems, p => Assert.Equal(SpecCodes.TrainingInvalid, p.Code));
        var epochs = problems.Single(p => p.Message.StartsWith("training.epochs", StringComparison.Ordinal));
        At(epochs, path, 4, 11);
        Assert.Equal("training.epochs must be at least 1 (got 0).", epochs.Message);
        At(problems.Single(p => p.Message.StartsWith("training.learningRate", StringComparison.Ordinal)), path, 5, 17);
        At(problems.Single(p => p.Message.StartsWith("data.validationSplit", StringComparison.Ordinal)), path, 2, 20);
        At(problems.Single(p => p.Message.StartsWith("training.schedule.gamma", StringComparison.Ordinal)), path, 7, 12);
        Assert.Equal(4, problems.Count);
    }

    [Fact]
    public void EarlyStoppingWithoutValidationSplitPointsAtPatience()
    {
        var (path, problems) = Bad("training:", "  earlyStopping:", "    patience: 3");
        var d = SpecFiles.Single(problems, SpecCodes.TrainingInvalid);
        At(d, path, 3, 15);
        Assert.Contains("data.validationSplit", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KernelLargerThanItsInputPointsAtThatLayer()
    {
        var (path, problems) = Bad(
            "model:",
            "  layers:",
            "    - { type: conv2d, filters: 8 }",
            "    - { type: max_pooling2d, poolSize: 4 }",
            "    - type: conv2d",
            "      filters: 8",
            "      kernelSize: 9",
            "    - { type: flatten }",
            "    - { type: dense, units: 10, activation: softmax }");
        var d = SpecFiles.Single(problems, SpecCodes.ModelInvalid);
        At(d, path, 5, 7);
        Assert.Contains("model.layers[2]: kernel 9x9 is larger than its 6x6 input", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LayerStackThatDoesNotFitAndBadRatesAreReported()
    {
        var (path, problems) = Bad(
            "model:",
            "  layers:",
            "    - { type: conv2d, filters: 8 }",
            "    - { type: dropout, rate: -0.2 }",
            "    - { type: dense, units: 10, activation: softmax }");
        Assert.All(problems, p => Assert.Equal(SpecCodes.ModelInvalid, p.Code));
        At(problems.Single(p => p.Message.Contains("dropout rate", StringComparison.Ordinal)), path, 4, 7);
        At(problems.Single(p => p.Message.Contains("Flatten", StringComparison.Ordinal)), path, 5, 7);
    }

    [Fact]
    public void UnknownChoicesSuggestTheClosestName()
    {
        var (path, problems) = Bad(
            "data: { dataset: fashon-mnist }",
            "training: { optimizer: adamm, device: gpu }",
            "model:",
            "  layers:",
            "    - { type: conv2, filters: 8 }",
            "    - { type: flatten }",
            "    - { type: dense, units: 10, activation: sofmax }");
        Assert.All(problems, p => Assert.Equal(SpecCodes.UnknownValue, p.Code));
        Assert.Contains("did you mean 'fashion-mnist'?", problems.Single(p => p.Message.StartsWith("data.dataset", StringComparison.Ordinal)).Message, StringComparison.Ordinal);
        var optimizer = problems.Single(p => p.Message.StartsWith("training.optimizer", StringComparison.Ordinal));
        At(optimizer, path, 2, 24);
        Assert.Contains("did you mean 'adam'?", optimizer.Message, StringComparison.Ordinal);
        Assert.Contains("Use one of auto, cpu, cuda", problems.Single(p => p.Message.StartsWith("training.device", StringComparison.Ordinal)).Message, StringComparison.Ordinal);
        var layer = problems.Single(p => p.Message.Contains("'conv2'", StringComparison.Ordinal));
        At(layer, path, 5, 15);
        Assert.Contains("did you mean 'conv2d'?", layer.Message, StringComparison.Ordinal);
        Assert.Contains("did you mean 'softmax'?", problems.Single(p => p.Message.Contains("'sofmax'", StringComparison.Ordinal)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingRequiredLayerArgumentsAndConflictsAreReported()
    {
        var (path, problems) = Bad(
            "model:",
            "  preset: keras-seed",
            "  layers:",
            "    - { type: dense }");
        At(SpecFiles.Single(problems, SpecCodes.Conflict), path, 3, 3);

        var (path2, problems2) = Bad("model:", "  layers:", "    - { filters: 3 }", "    - { type: dense }", "    - flatten");
        Assert.Equal(2, problems2.Count(p => p.Code == SpecCodes.MissingKey));
        At(problems2.Single(p => p.Message.Contains("has no 'type'", StringComparison.Ordinal)), path2, 3, 7);
        At(problems2.Single(p => p.Message.Contains("needs 'units'", StringComparison.Ordinal)), path2, 4, 7);
        At(SpecFiles.Single(problems2, SpecCodes.WrongType), path2, 5, 7);
    }

    [Fact]
    public void TagKeysMlflowWouldRefuseAreReportedAtTheKey()
    {
        // ':' and Unicode letters are fine on MLflow's Linux servers ("a/b:c", "équipe"); '#' and '..' are not.
        var (path, problems) = Bad("tracking:", "  tags:", "    owner: me", "    \"bad#key\": 1", "    ../up: 2", "    \"a/b:c\": 3", "    équipe: 4");
        var tags = problems.Where(p => p.Message.StartsWith("tracking.tags", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, tags.Count);
        Assert.All(tags, p => Assert.Equal(SpecCodes.WrongType, p.Code));
        At(tags.Single(p => p.Message.Contains("bad#key", StringComparison.Ordinal)), path, 4, 5);
        At(tags.Single(p => p.Message.Contains("../up", StringComparison.Ordinal)), path, 5, 5);
    }

    [Fact]
    public void EveryProblemIsListedInOnePass()
    {
        var (_, problems) = Bad(
            "nam: x",
            "training:",
            "  epochs: 0",
            "  optimizer: adamm",
            "  batchSize: big",
            "model:",
            "  layers:",
            "    - { type: conv2d, filters: 8, kernelSize: 40 }",
            "    - { type: flatten }",
            "    - { type: dense, units: 10 }");
        var codes = problems.Select(p => p.Code).ToHashSet();
        Assert.Contains(SpecCodes.UnknownKey, codes);
        Assert.Contains(SpecCodes.UnknownValue, codes);
        Assert.Contains(SpecCodes.WrongType, codes);
        Assert.Contains(SpecCodes.TrainingInvalid, codes);
        Assert.Contains(SpecCodes.ModelInvalid, codes);
        // Sorted by position.
        Assert.Equal(problems.OrderBy(p => p.Line).ThenBy(p => p.Column).Select(p => p.Line), problems.Select(p => p.Line));
    }

    [Fact]
    public void LoadThrowsSpecValidationExceptionWithEveryDiagnostic()
    {
        var path = files.Write("bad.yaml", "training:", "  epochs: 0", "  batchSize: -1");
        var ex = Assert.Throws<SpecValidationException>(() => ExperimentPlan.Load(path));
        Assert.IsAssignableFrom<MnistCnnException>(ex);
        Assert.Equal("ExperimentSpecInvalid", ex.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, ex.Kind);
        Assert.Equal(2, ex.Diagnostics.Count);
        Assert.Contains("has 2 problems", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{path}(2,11): error MNC1007: training.epochs must be at least 1 (got 0).", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DiagnosticPrintsInTheCanonicalMSBuildFormat()
    {
        var d = new SpecDiagnostic("/x/spec.yaml", 3, 7, "MNC1002", "unknown key 'foo'");
        Assert.Equal("/x/spec.yaml(3,7): error MNC1002: unknown key 'foo'", d.ToString());
    }

    [Fact]
    public void MissingSpecFileIsReported()
    {
        var path = Path.Combine(files.Root, "none.yaml");
        var d = Assert.Single(SpecFiles.Problems(path));
        Assert.Equal(SpecCodes.FileUnreadable, d.Code);
        Assert.Equal((path, 1, 1), (d.File, d.Line, d.Column));
    }

    [Theory]
    [InlineData("data: { trainSubset: 0 }", SpecCodes.OutOfRange)]
    [InlineData("name: \"bad name!\"", SpecCodes.OutOfRange)]
    [InlineData("training: { threads: 0 }", SpecCodes.TrainingInvalid)]
    [InlineData("model: { preset: keras-sed }", SpecCodes.UnknownValue)]
    [InlineData("- just a list", SpecCodes.WrongType)]
    public void OtherBadValuesAreRejected(string yaml, string code)
    {
        var (_, problems) = Bad(yaml);
        SpecFiles.Single(problems, code);
    }

    [Fact]
    public void AugmentationIsTrueFalseOrAMappingOfItsSettings()
    {
        Assert.Equal(MnistCnn.Core.Training.AugmentationOptions.Default, Load("data:", "  augmentation: true").Augmentation);
        Assert.Null(Load("data:", "  augmentation: false").Augmentation);
        Assert.Null(Load("data:", "  dataset: mnist").Augmentation);
        Assert.Equal(new MnistCnn.Core.Training.AugmentationOptions(0.05, 15, 0.1, 0, 4),
            Load("data:", "  augmentation:", "    shift: 0.05", "    rotation: 15", "    elasticAlpha: 0").Augmentation);
    }

    [Fact]
    public void BadAugmentationSettingsPointAtTheirKey()
    {
        var (path, problems) = Bad("data:", "  augmentation:", "    shift: 1.5", "    rotaton: 5", "    elasticSigma: 0");
        var shift = problems.Single(p => p.Message.Contains("data.augmentation.shift", StringComparison.Ordinal));
        Assert.Equal(SpecCodes.TrainingInvalid, shift.Code);
        At(shift, path, 3, 12);
        var sigma = problems.Single(p => p.Message.Contains("data.augmentation.elasticSigma", StringComparison.Ordinal));
        At(sigma, path, 5, 19);
        var typo = problems.Single(p => p.Code == SpecCodes.UnknownKey);
        Assert.Contains("did you mean 'rotation'?", typo.Message, StringComparison.Ordinal);
        var (_, wrong) = Bad("data:", "  augmentation: [1, 2]");
        Assert.Equal(SpecCodes.WrongType, Assert.Single(wrong).Code);
    }

    private MnistCnn.Core.Training.TrainingOptions Load(params string[] lines) =>
        ExperimentPlan.Load(files.Write("ok.yaml", lines)).Trials[0].Spec.Training;
}
