using System.Globalization;

namespace MnistCnn.Core.Training.Settings;

/// <summary>What kind of value a <see cref="TrainingSetting"/> holds.</summary>
public enum SettingType
{
    Integer,
    Number,
    Boolean,
    /// <summary>One of named values (an enum); see <see cref="TrainingSetting.Choices"/>.</summary>
    Choice,
    Text,
    /// <summary>A composite value set as a whole from PowerShell (augmentation); its parts are settings of their own.</summary>
    Composite,
}

/// <summary>One accepted spelling of a choice and the value it stands for.</summary>
public sealed record SettingChoice(string Name, object Value);

/// <summary>
/// One training setting, declared once in <see cref="TrainingSettingsCatalog"/>: its name (the
/// <see cref="TrainingOptions"/> property and <c>-Options</c> key), where it sits in a YAML spec, the cmdlet parameter
/// that sets it, its type, default, range and help. The spec binder, the <c>-Options</c> binder, validation, the JSON
/// schema and the docs table all read it from here.
/// </summary>
public sealed class TrainingSetting
{
    /// <summary>The <see cref="TrainingOptions"/> property (and <c>-Options</c> key); a part of a composite is <c>Parent.Part</c>.</summary>
    public required string Name { get; init; }
    /// <summary>Dotted path in an experiment spec (<c>training.learningRate</c>); null when specs do not set it.</summary>
    public string? YamlPath { get; init; }
    /// <summary>The Start-CnnTraining parameter that sets it, when there is one (the rest go through <c>-Options</c>).</summary>
    public string? Parameter { get; init; }
    public required SettingType Type { get; init; }
    /// <summary>The CLR type of the value (the enum type for a choice).</summary>
    public required Type ValueType { get; init; }
    /// <summary>Whether null is a value (meaning "not set": the default described in <see cref="Help"/>).</summary>
    public bool Nullable { get; init; }
    public object? Default { get; init; }
    public double? Minimum { get; init; }
    public bool MinimumExclusive { get; init; }
    public double? Maximum { get; init; }
    public bool MaximumExclusive { get; init; }
    /// <summary>Unit said after a range (degrees, pixels).</summary>
    public string? Unit { get; init; }
    /// <summary>How the range is said when the generic wording does not fit ("must be a positive number").</summary>
    public string? RangeRule { get; init; }
    /// <summary>Accepted spellings of a choice; the first spelling of each value is the one shown.</summary>
    public IReadOnlyList<SettingChoice> Choices { get; init; } = Array.Empty<SettingChoice>();
    /// <summary>Extra spellings the JSON schema lists beside the choices (hyphen, underscore and case variants).</summary>
    public IReadOnlyList<string> SchemaAliases { get; init; } = Array.Empty<string>();
    public required string Help { get; init; }

    internal Func<TrainingOptions, object?> Get { get; init; } = _ => null;
    internal Func<TrainingOptions, object?, TrainingOptions> Set { get; init; } = (o, _) => o;

    /// <summary>The last part of <see cref="YamlPath"/>: the key in its section.</summary>
    public string? YamlKey => YamlPath?[(YamlPath.LastIndexOf('.') + 1)..];

    /// <summary>The section of <see cref="YamlPath"/> (<c>training.schedule</c>).</summary>
    public string? YamlSection => YamlPath is null ? null : YamlPath.Contains('.', StringComparison.Ordinal) ? YamlPath[..YamlPath.LastIndexOf('.')] : "";

    /// <summary>Whether <c>-Options</c> takes it by <see cref="Name"/> (parts of a composite are set through their parent).</summary>
    public bool IsOptionsKey => !Name.Contains('.', StringComparison.Ordinal);

    public bool HasRange => Minimum is not null || Maximum is not null || RangeRule is not null;

    /// <summary>The value this setting has in <paramref name="options"/>.</summary>
    public object? ValueIn(TrainingOptions options) => Get(options);

    /// <summary><paramref name="options"/> with this setting changed to <paramref name="value"/> (already of <see cref="ValueType"/>, or null).</summary>
    public TrainingOptions With(TrainingOptions options, object? value) => Set(options, value);

    /// <summary>The choice a spelling names, ignoring case, '-' and '_'; null when none.</summary>
    public object? ChoiceOf(string text)
    {
        string key = NormalizeChoice(text);
        return Choices.FirstOrDefault(c => NormalizeChoice(c.Name) == key)?.Value;
    }

    /// <summary>The spellings shown to users: the first of each value.</summary>
    public IReadOnlyList<string> ChoiceNames => Choices.GroupBy(c => c.Value).Select(g => g.First().Name).ToList();

    internal static string NormalizeChoice(string text) =>
        text.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).Trim().ToLowerInvariant();

    /// <summary>The rule the value breaks, or null when it is within range (null values of nullable settings are).</summary>
    public SettingProblem? Check(TrainingOptions options)
    {
        object? value = Get(options);
        if (value is null || !HasRange) return null;
        double x = Convert.ToDouble(value, CultureInfo.InvariantCulture);
        bool ok = double.IsFinite(x)
            && (Minimum is not { } lo || (MinimumExclusive ? x > lo : x >= lo))
            && (Maximum is not { } hi || (MaximumExclusive ? x < hi : x <= hi));
        return ok ? null : new SettingProblem(this, value, RangeText());
    }

    /// <summary>The range in words: "must be at least 1", "must be in [0, 1)", "must not be negative".</summary>
    public string RangeText()
    {
        if (RangeRule is not null) return RangeRule;
        string unit = Unit is null ? "" : " " + Unit;
        string F(double d) => d.ToString(CultureInfo.InvariantCulture);
        return (Minimum, Maximum) switch
        {
            ({ } lo, { } hi) => $"must be in {(MinimumExclusive ? "(" : "[")}{F(lo)}, {F(hi)}{(MaximumExclusive ? ")" : "]")}{unit}",
            (0, null) => MinimumExclusive ? "must be positive" : "must not be negative",
            ({ } lo, null) => MinimumExclusive ? $"must be above {F(lo)}" : $"must be at least {F(lo)}",
            (null, { } hi) => MaximumExclusive ? $"must be below {F(hi)}" : $"must be at most {F(hi)}",
            _ => "",
        };
    }

    public override string ToString() => Name;
}
