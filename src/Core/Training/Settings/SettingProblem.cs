using System.Globalization;

namespace MnistCnn.Core.Training.Settings;

/// <summary>
/// A training setting whose value breaks a rule, as data: the setting, its value, and the rule in words without the
/// setting's name ("must be at least 1"). Each reader words it for its own users with <see cref="Describe"/>: a spec
/// says <c>training.epochs</c>, a cmdlet says <c>-Epochs</c>. A rule about two settings names the other one as
/// <see cref="Related"/> and holds <c>{related}</c> where its name goes.
/// </summary>
public sealed record SettingProblem(TrainingSetting Setting, object? Value, string Rule, TrainingSetting? Related = null, bool ShowValue = true)
{
    /// <summary>The problem as a sentence, naming settings with <paramref name="name"/>.</summary>
    public string Describe(Func<TrainingSetting, string> name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string rule = Related is null ? Rule : Rule.Replace("{related}", name(Related), StringComparison.Ordinal);
        string got = ShowValue && Value is not null ? string.Create(CultureInfo.InvariantCulture, $" (got {Value})") : "";
        return $"{name(Setting)} {rule}{got}.";
    }

    /// <summary>The problem naming settings by their catalog names (<c>Epochs must be at least 1 (got 0).</c>).</summary>
    public override string ToString() => Describe(s => s.Name);
}
