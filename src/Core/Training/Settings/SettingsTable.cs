using System.Globalization;
using System.Text;

namespace MnistCnn.Core.Training.Settings;

/// <summary>
/// The table of training settings in docs/experiments.md, written from the <see cref="TrainingSettingsCatalog"/>
/// between <see cref="Begin"/> and <see cref="End"/>. A test fails when the committed table differs;
/// scripts/Update-GeneratedFiles.ps1 rewrites it.
/// </summary>
public static class SettingsTable
{
    public const string Begin = "<!-- settings-table: generated from TrainingSettingsCatalog; do not edit by hand -->";
    public const string End = "<!-- settings-table: end -->";

    /// <summary>The table in Markdown, one row per setting.</summary>
    public static string Markdown()
    {
        var text = new StringBuilder();
        text.Append("| spec key | Start-CnnTraining | type | default | range | what it does |\n");
        text.Append("| --- | --- | --- | --- | --- | --- |\n");
        foreach (var s in TrainingSettingsCatalog.All)
        {
            string key = s.YamlPath is null ? "-" : $"`{s.YamlPath}`";
            string parameter = s.Parameter is { } p ? $"`-{p}`" : s.IsOptionsKey ? $"`-Options @{{ {s.Name} = ... }}`" : $"part of `{s.Name[..s.Name.IndexOf('.', StringComparison.Ordinal)]}`";
            string type = s.Type switch
            {
                SettingType.Choice => string.Join(" \\| ", s.ChoiceNames),
                SettingType.Composite => "true, false or a mapping",
                _ => s.Type.ToString().ToLowerInvariant(),
            };
            string range = s.HasRange ? s.RangeText().Replace("must not be ", "not ", StringComparison.Ordinal).Replace("must be ", "", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal) : "";
            text.Append(CultureInfo.InvariantCulture, $"| {key} | {parameter} | {type} | {DefaultText(s)} | {range} | {s.Help.Replace("|", "\\|", StringComparison.Ordinal)} |\n");
        }
        return text.ToString();
    }

    /// <summary><paramref name="document"/> with the text between the markers replaced by <see cref="Markdown"/>.</summary>
    public static string Update(string document)
    {
        ArgumentNullException.ThrowIfNull(document);
        int begin = document.IndexOf(Begin, StringComparison.Ordinal);
        int end = document.IndexOf(End, StringComparison.Ordinal);
        if (begin < 0 || end < begin) throw new ArgumentException("The document has no settings-table markers.", nameof(document));
        return document[..(begin + Begin.Length)] + "\n" + Markdown() + document[end..];
    }

    private static string DefaultText(TrainingSetting s) => s.Default switch
    {
        null => s.Type == SettingType.Composite ? "off" : "null",
        bool b => b ? "true" : "false",
        Enum e => s.Choices.First(c => Equals(c.Value, e)).Name,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var other => other.ToString() ?? "",
    };
}
