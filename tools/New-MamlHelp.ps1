#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Writes MAML help (MnistCnn.Cmdlets.dll-Help.xml) from docs/help/<Cmdlet>.md and the built cmdlets' metadata.
.DESCRIPTION
    Text (synopsis, description, parameter descriptions, examples, notes, links) comes from one markdown file per
    cmdlet; everything that can be read from the assembly (syntax, parameter types, mandatory, position, pipeline
    input, output types) comes from the cmdlets themselves, so it cannot drift. The markdown format is described in
    docs/development.md. Run by build.ps1 in a fresh pwsh; it also writes the cmdlet names (for the manifest).
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $AssemblyPath,
    [Parameter(Mandatory)] [string] $HelpSource,
    [Parameter(Mandatory)] [string] $OutFile,
    [Parameter(Mandatory)] [string] $CmdletListFile
)
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

# Parses the markdown help format: '## SECTION' blocks, '### item' sub-blocks, fenced code in examples.
function Read-HelpMarkdown([string] $Path) {
    $help = @{ Synopsis = ''; Description = ''; Parameters = [ordered]@{}; Defaults = @{}; Inputs = [ordered]@{}; Outputs = [ordered]@{}
        Examples = [Collections.Generic.List[object]]::new(); Notes = ''; Links = [Collections.Generic.List[string]]::new() }
    $section = $null; $item = $null; $buffer = [Text.StringBuilder]::new(); $inFence = $false
    $flush = {
        $text = $buffer.ToString().Trim(); $null = $buffer.Clear()
        switch ($section) {
            'SYNOPSIS' { $help.Synopsis = $text }
            'DESCRIPTION' { $help.Description = $text }
            'NOTES' { $help.Notes = $text }
            'PARAMETERS' {
                if ($item) {
                    # "Default value: ..." on a line of its own states a default the code computes (e.g. from another setting).
                    $default = [regex]::Match($text, '(?m)^Default value:\s*(.+?)\s*$')
                    if ($default.Success) { $help.Defaults[$item.TrimStart('-')] = $default.Groups[1].Value; $text = $text.Remove($default.Index, $default.Length).Trim() }
                    $help.Parameters[$item.TrimStart('-')] = $text
                }
            }
            'INPUTS' { if ($item) { $help.Inputs[$item] = $text } }
            'OUTPUTS' { if ($item) { $help.Outputs[$item] = $text } }
            'RELATED LINKS' { $text -split "`n" | ForEach-Object { $_.Trim() -replace '^[-*]\s*', '' } | Where-Object { $_ } | ForEach-Object { $help.Links.Add($_) } }
            'EXAMPLES' {
                if ($item) {
                    $code = [regex]::Match($text, '(?s)```[a-zA-Z]*\n(.*?)\n```')
                    $help.Examples.Add([pscustomobject]@{ Title = $item; Code = $code.Groups[1].Value.TrimEnd()
                        Remarks = ($text.Remove($code.Index, $code.Length)).Trim(); HasCode = $code.Success })
                }
            }
        }
    }
    foreach ($line in (Get-Content $Path)) {
        if ($line -match '^```') { $inFence = -not $inFence }
        if (-not $inFence -and $line -match '^## (.+)$') { & $flush; $section = $Matches[1].Trim().ToUpperInvariant(); $item = $null; continue }
        if (-not $inFence -and $line -match '^### (.+)$') { & $flush; $item = $Matches[1].Trim(); continue }
        if (-not $inFence -and $line -match '^# ') { continue }
        $null = $buffer.AppendLine($line)
    }
    & $flush
    $help
}

function Write-Paragraphs([Xml.XmlWriter] $W, [string] $Text) {
    $paras = @($Text -split '\r?\n\s*\r?\n' | ForEach-Object { $_.Trim() } | Where-Object { $_ })
    if ($paras.Count -eq 0) { $paras = @('') }
    foreach ($p in $paras) {
        # A list stays a list: one paragraph per item.
        $lines = @($p -split '\r?\n' | ForEach-Object { $_.Trim() })
        $joined = if ($lines[0] -match '^[-*] ') { $lines } else { , ($lines -join ' ') }
        foreach ($l in $joined) { $W.WriteElementString('maml', 'para', $ns.maml, $l) }
    }
}

function Get-TypeName([type] $Type) {
    if ($Type.IsGenericType -and $Type.GetGenericTypeDefinition() -eq [Nullable`1]) { return $Type.GetGenericArguments()[0].Name }
    $Type.Name
}

function Get-PipelineInput($Attributes) {
    $how = @(foreach ($a in $Attributes) {
        if ($a.ValueFromPipeline) { 'ByValue' }
        if ($a.ValueFromPipelineByPropertyName) { 'ByPropertyName' }
    }) | Select-Object -Unique
    if ($how) { "True ($($how -join ', '))" } else { 'False' }
}

# A parameter's default as help shows it: the value a new instance of the cmdlet holds (so it cannot drift from the
# code), else what the help source states, else None.
function Get-DefaultValue($Instance, [string] $Name, [hashtable] $Stated) {
    if ($Stated.ContainsKey($Name)) { return $Stated[$Name] }
    if ($null -eq $Instance) { return 'None' }
    $property = $Instance.GetType().GetProperty($Name)
    if (-not $property) { return 'None' }
    $value = $property.GetValue($Instance)
    if ($value -is [Management.Automation.SwitchParameter]) { return $value.IsPresent.ToString() }
    if ($value -is [Array]) { $value = @($value) -join ', ' }
    if ($null -eq $value -or "$value" -eq '') { return 'None' }
    [Convert]::ToString($value, [cultureinfo]::InvariantCulture)
}

function Write-Parameter([Xml.XmlWriter] $W, [string] $Name, $Metadata, $Attributes, [string] $Description, [string] $Default = 'None') {
    $mandatory = [bool]($Attributes | Where-Object Mandatory)
    $positions = @($Attributes | Where-Object { $_.Position -ge 0 } | ForEach-Object Position)
    $type = if ($Metadata) { $Metadata.ParameterType } else { $null }
    $W.WriteStartElement('command', 'parameter', $ns.command)
    $W.WriteAttributeString('required', $mandatory.ToString().ToLowerInvariant())
    $W.WriteAttributeString('variableLength', ([bool]($type -and $type.IsArray)).ToString().ToLowerInvariant())
    $W.WriteAttributeString('globbing', 'false')
    $W.WriteAttributeString('pipelineInput', (Get-PipelineInput $Attributes))
    $W.WriteAttributeString('position', $(if ($positions.Count) { [string]$positions[0] } else { 'named' }))
    $aliases = if ($Metadata -and $Metadata.Aliases.Count) { $Metadata.Aliases -join ', ' } else { 'none' }
    $W.WriteAttributeString('aliases', $aliases)
    $W.WriteElementString('maml', 'name', $ns.maml, $Name)
    $W.WriteStartElement('maml', 'description', $ns.maml); Write-Paragraphs $W $Description; $W.WriteEndElement()
    $typeName = if ($type) { Get-TypeName $type } else { 'Unknown' }
    if (-not $type -or $type -ne [switch]) {
        $W.WriteStartElement('command', 'parameterValue', $ns.command)
        $W.WriteAttributeString('required', 'true'); $W.WriteAttributeString('variableLength', 'false')
        $W.WriteString($typeName); $W.WriteEndElement()
    }
    $W.WriteStartElement('dev', 'type', $ns.dev)
    $W.WriteElementString('maml', 'name', $ns.maml, $(if ($type) { $type.FullName } else { 'Unknown' }))
    $W.WriteEndElement()
    $W.WriteElementString('dev', 'defaultValue', $ns.dev, $Default)
    $W.WriteEndElement()
}

$ns = @{ maml = 'http://schemas.microsoft.com/maml/2004/10'; command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev = 'http://schemas.microsoft.com/maml/dev/2004/10' }
$standard = @{
    WhatIf = 'Shows what would happen if the cmdlet runs. The cmdlet is not run.'
    Confirm = 'Prompts you for confirmation before running the cmdlet.'
}
$common = [Collections.Generic.HashSet[string]]::new([string[]]([Management.Automation.Cmdlet]::CommonParameters), [StringComparer]::OrdinalIgnoreCase)

$module = Import-Module $AssemblyPath -PassThru
$commands = @(Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name)
$sources = @{}
foreach ($file in Get-ChildItem $HelpSource -Filter '*.md' -ErrorAction Ignore) { $sources[$file.BaseName] = $file.FullName }
foreach ($name in $sources.Keys) {
    if ($name -notin $commands.Name) { Write-Warning "$($sources[$name]) documents '$name', which the module does not define." }
}

$settings = [Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [Text.UTF8Encoding]::new($false) }
$null = New-Item -ItemType Directory -Force (Split-Path $OutFile)
$temp = "$OutFile.tmp"
$w = [Xml.XmlWriter]::Create($temp, $settings)
$w.WriteStartDocument()
$w.WriteStartElement('helpItems', 'http://msh')
$w.WriteAttributeString('schema', 'maml')
foreach ($cmd in $commands) {
    if (-not $sources.ContainsKey($cmd.Name)) {
        Write-Warning "No help for $($cmd.Name): add docs/help/$($cmd.Name).md (format: docs/development.md)."
        continue
    }
    $help = Read-HelpMarkdown $sources[$cmd.Name]
    $parameters = [ordered]@{}
    # Hidden parameters ([Parameter(DontShow)]) stay out of help, as they stay out of tab completion.
    $hidden = @($cmd.Parameters.Values | Where-Object { $_.Attributes | Where-Object { $_ -is [Parameter] -and $_.DontShow } } | ForEach-Object Name)
    foreach ($p in $cmd.Parameters.Values) { if (-not $common.Contains($p.Name) -and $p.Name -notin $hidden) { $parameters[$p.Name] = $p } }
    foreach ($documented in $help.Parameters.Keys) {
        if (-not $parameters.Contains($documented)) { Write-Warning "$($sources[$cmd.Name]) documents -$documented, which $($cmd.Name) does not have." }
    }
    $instance = try { [Activator]::CreateInstance($cmd.ImplementingType) } catch { $null }
    $default = { param($n) Get-DefaultValue $instance $n $help.Defaults }
    $describe = { param($n) if ($help.Parameters.Contains($n)) { $help.Parameters[$n] } elseif ($standard.ContainsKey($n)) { $standard[$n] } else { '' } }

    $w.WriteStartElement('command', 'command', $ns.command)
    $w.WriteAttributeString('xmlns', 'maml', $null, $ns.maml)
    $w.WriteAttributeString('xmlns', 'dev', $null, $ns.dev)
    $w.WriteStartElement('command', 'details', $ns.command)
    $w.WriteElementString('command', 'name', $ns.command, $cmd.Name)
    $w.WriteElementString('command', 'verb', $ns.command, $cmd.Verb)
    $w.WriteElementString('command', 'noun', $ns.command, $cmd.Noun)
    $w.WriteStartElement('maml', 'description', $ns.maml); Write-Paragraphs $w $help.Synopsis; $w.WriteEndElement()
    $w.WriteEndElement()
    $w.WriteStartElement('maml', 'description', $ns.maml); Write-Paragraphs $w $help.Description; $w.WriteEndElement()

    $w.WriteStartElement('command', 'syntax', $ns.command)
    foreach ($set in $cmd.ParameterSets) {
        $w.WriteStartElement('command', 'syntaxItem', $ns.command)
        $w.WriteElementString('maml', 'name', $ns.maml, $cmd.Name)
        foreach ($p in $set.Parameters) {
            if ($common.Contains($p.Name) -or $p.Name -in $hidden) { continue }
            $attr = [pscustomobject]@{ Mandatory = $p.IsMandatory; Position = $p.Position
                ValueFromPipeline = $p.ValueFromPipeline; ValueFromPipelineByPropertyName = $p.ValueFromPipelineByPropertyName }
            Write-Parameter $w $p.Name $parameters[$p.Name] @($attr) (& $describe $p.Name) (& $default $p.Name)
        }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'parameters', $ns.command)
    foreach ($name in $parameters.Keys) {
        $attrs = @($parameters[$name].Attributes | Where-Object { $_ -is [Parameter] })
        Write-Parameter $w $name $parameters[$name] $attrs (& $describe $name) (& $default $name)
    }
    foreach ($name in $help.Parameters.Keys) {
        if (-not $parameters.Contains($name)) { Write-Parameter $w $name $null @() $help.Parameters[$name] }
    }
    $w.WriteEndElement()

    $inputs = [ordered]@{}
    foreach ($p in $parameters.Values) {
        if ($p.Attributes | Where-Object { $_ -is [Parameter] -and ($_.ValueFromPipeline -or $_.ValueFromPipelineByPropertyName) }) {
            $inputs[$p.ParameterType.FullName] = ''
        }
    }
    foreach ($k in $help.Inputs.Keys) { $inputs[$k] = $help.Inputs[$k] }
    $outputs = [ordered]@{}
    foreach ($t in $cmd.OutputType) { $outputs[$t.Name] = '' }
    foreach ($k in $help.Outputs.Keys) { $outputs[$k] = $help.Outputs[$k] }
    foreach ($kind in @(@('inputTypes', 'inputType', $inputs), @('returnValues', 'returnValue', $outputs))) {
        $w.WriteStartElement('command', $kind[0], $ns.command)
        foreach ($entry in $kind[2].GetEnumerator()) {
            $w.WriteStartElement('command', $kind[1], $ns.command)
            $w.WriteStartElement('dev', 'type', $ns.dev); $w.WriteElementString('maml', 'name', $ns.maml, $entry.Key); $w.WriteEndElement()
            $w.WriteStartElement('maml', 'description', $ns.maml); Write-Paragraphs $w $entry.Value; $w.WriteEndElement()
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }

    if ($help.Notes) {
        $w.WriteStartElement('maml', 'alertSet', $ns.maml); $w.WriteStartElement('maml', 'alert', $ns.maml)
        Write-Paragraphs $w $help.Notes; $w.WriteEndElement(); $w.WriteEndElement()
    }

    $w.WriteStartElement('command', 'examples', $ns.command)
    foreach ($example in $help.Examples) {
        $w.WriteStartElement('command', 'example', $ns.command)
        $w.WriteElementString('maml', 'title', $ns.maml, "-------------------------- $($example.Title) --------------------------")
        $w.WriteElementString('dev', 'code', $ns.dev, $example.Code)
        $w.WriteStartElement('dev', 'remarks', $ns.dev); Write-Paragraphs $w $example.Remarks; $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'relatedLinks', $ns.command)
    foreach ($link in $help.Links) {
        $w.WriteStartElement('maml', 'navigationLink', $ns.maml)
        $w.WriteElementString('maml', 'linkText', $ns.maml, $link)
        $w.WriteElementString('maml', 'uri', $ns.maml, '')
        $w.WriteEndElement()
    }
    $w.WriteEndElement()
    $w.WriteEndElement()
}
$w.WriteEndElement()
$w.WriteEndDocument()
$w.Close()
Move-Item -Force $temp $OutFile
Set-Content -Path $CmdletListFile -Value ($commands.Name -join "`n")
Write-Host "Help: $OutFile ($(@($commands | Where-Object { $sources.ContainsKey($_.Name) }).Count) of $($commands.Count) cmdlets documented)"
