using System.Reflection;
using MnistCnn.Core.Experiments.Spec;
using MnistCnn.Core.Tests.Experiments;
using MnistCnn.Core.Training;
using MnistCnn.Core.Training.Settings;

namespace MnistCnn.Core.Tests.Training;

public class SettingsCatalogTests
{
    /// <summary>Set to 1 (scripts/Update-GeneratedFiles.ps1 does) to rewrite the generated files instead of failing.</summary>
    private static bool Updating => Environment.GetEnvironmentVariable("MNISTCNN_UPDATE_GENERATED") == "1";

    private static void CheckGenerated(string relativePath, Func<string, string> generate)
    {
        string path = Path.Combine(SpecFiles.RepoRoot(), relativePath);
        string committed = File.ReadAllText(path);
        string generated = generate(committed);
        if (Updating && generated != committed) File.WriteAllText(path, generated);
        else Assert.True(generated == committed, $"{relativePath} differs from what TrainingSettingsCatalog produces; run 'dotnet pwsh scripts/Update-GeneratedFiles.ps1' and commit the result.");
    }

    [Fact]
    public void TheCommittedSchemaIsWhatTheCatalogProduces() =>
        CheckGenerated(Path.Combine("experiments", "mnistcnn-experiment.schema.json"), SpecSchema.Update);

    [Fact]
    public void TheDocsTableIsWhatTheCatalogProduces() =>
        CheckGenerated(Path.Combine("docs", "experiments.md"), SettingsTable.Update);

    [Fact]
    public void TheOptionsTablePropertiesAreWhatTheCatalogProduces() =>
        CheckGenerated(OptionsTableSource.RelativePath, _ => OptionsTableSource.Generate());

    [Fact]
    public void TheOptionsTableHasOnePropertyPerOptionsKey()
    {
        string source = OptionsTableSource.Generate();
        foreach (string key in TrainingSettingsCatalog.OptionsKeys)
        {
            Assert.Contains($" {key} {{ get => Get<", source, StringComparison.Ordinal);
        }
        Assert.Contains("public OptimizerKind? Optimizer { get => Get<OptimizerKind?>(nameof(Optimizer)); set => this[nameof(Optimizer)] = value; }", source, StringComparison.Ordinal);
        Assert.Contains("public string? OutputPath ", source, StringComparison.Ordinal);
        Assert.DoesNotContain("Augmentation.Shift", source, StringComparison.Ordinal);
        Assert.Equal(TrainingSettingsCatalog.OptionsKeys.Count(), source.Split("{ get => Get<").Length - 1);
    }

    [Fact]
    public void TheSchemaCheckSeesAChangedSetting()
    {
        string committed = File.ReadAllText(Path.Combine(SpecFiles.RepoRoot(), "experiments", "mnistcnn-experiment.schema.json"));
        string tampered = committed.Replace("\"Passes over the training data.\", \"type\": \"integer\", \"minimum\": 1", "\"Passes over the training data.\", \"type\": \"integer\", \"minimum\": 0", StringComparison.Ordinal);
        Assert.NotEqual(committed, tampered);
        Assert.Equal(committed, SpecSchema.Update(tampered));
    }

    [Fact]
    public void EveryTrainingOptionIsInTheCatalogOnce()
    {
        var properties = typeof(TrainingOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => p.Name).Order(StringComparer.Ordinal);
        Assert.Equal(properties, TrainingSettingsCatalog.OptionsKeys);
        Assert.Equal(TrainingSettingsCatalog.All.Count, TrainingSettingsCatalog.All.Select(s => s.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        var paths = TrainingSettingsCatalog.All.Where(s => s.YamlPath is not null).Select(s => s.YamlPath).ToList();
        Assert.Equal(paths.Count, paths.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void DefaultsAreTheOptionsDefaultsAndEachSettingRoundTrips()
    {
        var defaults = new TrainingOptions { Augmentation = AugmentationOptions.Default };
        foreach (var s in TrainingSettingsCatalog.All.Where(s => s.Type != SettingType.Composite))
        {
            Assert.True(Equals(s.Default, s.ValueIn(defaults)), $"{s.Name}: catalog default {s.Default}, options default {s.ValueIn(defaults)}");
            object? other = s.Type switch
            {
                SettingType.Integer => 7,
                SettingType.Number => 0.5,
                SettingType.Boolean => !(bool)s.Default!,
                SettingType.Choice => s.Choices[^1].Value,
                _ => "elsewhere",
            };
            Assert.Equal(other, s.ValueIn(s.With(defaults, other)));
        }
    }

    [Fact]
    public void ValidateReturnsTheSettingTheValueAndTheRule()
    {
        var problems = new TrainingOptions { Epochs = 0, LearningRate = double.NaN, Rho = 1, Threads = 0 }.Validate();
        var epochs = problems.Single(p => p.Setting.Name == "Epochs");
        Assert.Equal((0, "must be at least 1"), ((int)epochs.Value!, epochs.Rule));
        Assert.Equal("training.epochs must be at least 1 (got 0).", epochs.Describe(s => s.YamlPath!));
        Assert.Equal("-Epochs must be at least 1 (got 0).", epochs.Describe(s => "-" + s.Parameter));
        Assert.Equal("must be a positive number", problems.Single(p => p.Setting.Name == "LearningRate").Rule);
        Assert.Equal("must be in (0, 1)", problems.Single(p => p.Setting.Name == "Rho").Rule);
        Assert.Single(problems, p => p.Setting.Name == "Threads");
        Assert.Equal(4, problems.Count);
        Assert.Empty(new TrainingOptions().Validate());
    }

    [Fact]
    public void ARuleAboutTwoSettingsNamesBoth()
    {
        var problem = Assert.Single(new TrainingOptions { EarlyStoppingPatience = 2 }.Validate());
        Assert.Equal("EarlyStoppingPatience", problem.Setting.Name);
        Assert.Equal("ValidationSplit", problem.Related!.Name);
        Assert.Equal("training.earlyStopping.patience needs a data.validationSplit above 0 to watch validation loss.", problem.Describe(s => s.YamlPath!));
        Assert.Empty(new TrainingOptions { EarlyStoppingPatience = 2, ValidationSplit = 0.1 }.Validate());
    }

    [Fact]
    public void CoreWordsProblemsWithoutCmdletParameters()
    {
        var problems = new TrainingOptions { Epochs = 0, Momentum = -1, Augmentation = AugmentationOptions.Default with { Rotation = 200 } }.Validate();
        Assert.All(problems, p => Assert.DoesNotContain("-", p.ToString().Split(' ')[0], StringComparison.Ordinal));
        Assert.Contains(problems, p => p.ToString() == "Augmentation.Rotation must be in [0, 180] degrees (got 200).");
    }

    [Fact]
    public void SpecKeysAreTheCatalogsKeys()
    {
        Assert.Equal(TrainingSettingsCatalog.InSection("training.schedule").Select(s => s.YamlKey), SpecKeys.Schedule);
        Assert.Equal(TrainingSettingsCatalog.InSection("data.augmentation").Select(s => s.YamlKey), SpecKeys.Augmentation);
        Assert.Contains("schedule", SpecKeys.Training);
        Assert.Contains("earlyStopping", SpecKeys.Training);
        Assert.All(TrainingSettingsCatalog.InSection("training"), s => Assert.Contains(s.YamlKey!, SpecKeys.Training));
    }

    [Fact]
    public void ChoicesAcceptTheirSpellingsAndShowTheFirst()
    {
        var schedule = TrainingSettingsCatalog.Get("schedule");
        Assert.Equal(LearningRateScheduleKind.OneCycle, schedule.ChoiceOf("One_Cycle"));
        Assert.Equal(LearningRateScheduleKind.OneCycle, schedule.ChoiceOf("onecycle"));
        Assert.Null(schedule.ChoiceOf("linear"));
        Assert.Contains("one-cycle", schedule.ChoiceNames);
        Assert.DoesNotContain("onecycle", schedule.ChoiceNames);
        Assert.Throws<ArgumentException>(() => TrainingSettingsCatalog.Get("NoSuchSetting"));
    }
}
