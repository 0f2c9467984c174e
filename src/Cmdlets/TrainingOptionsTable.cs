using System.Collections;
using System.Management.Automation;

namespace MnistCnn.Cmdlets;

/// <summary>
/// The hashtable Start-CnnTraining -Options takes. It is an ordinary case-insensitive hashtable (any hashtable or
/// [ordered] dictionary converts to it, and OptionsBinder still checks every key); its properties, one per
/// <c>-Options</c> key of the <see cref="MnistCnn.Core.Training.Settings.TrainingSettingsCatalog"/>, exist so that
/// PowerShell completes the keys of <c>-Options @{</c>, which it does from the parameter type's settable properties.
/// They are generated from the catalog into TrainingOptionsTable.g.cs (scripts/Update-GeneratedFiles.ps1; a test
/// fails when the committed file differs).
/// </summary>
public sealed partial class TrainingOptionsTable : Hashtable
{
    public TrainingOptionsTable()
        : base(StringComparer.OrdinalIgnoreCase)
    {
    }

    public TrainingOptionsTable(IDictionary entries)
        : base(entries, StringComparer.OrdinalIgnoreCase)
    {
    }

    private T? Get<T>(string key) => this[key] is { } value ? LanguagePrimitives.ConvertTo<T>(value) : default;
}
