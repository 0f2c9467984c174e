# Every exported cmdlet has real help (docs/help/<Name>.md, turned into MAML by tools/New-MamlHelp.ps1 at build),
# and that help documents exactly the cmdlet's parameters.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $Commands = @($MnistCnn.ExportedCmdlets.Values | Sort-Object Name | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $Common = [Management.Automation.Cmdlet]::CommonParameters
}

Describe 'Help for <Name>' -ForEach $Commands {
    BeforeAll {
        $command = Get-Command $Name
        $help = Get-Help $Name -Full
        $source = Join-Path $RepoRoot "docs/help/$Name.md"
    }

    It 'has a help source docs/help/<Name>.md' {
        $source | Should -Exist
    }

    It 'has a synopsis and a description' {
        # Without MAML, PowerShell makes up a synopsis from the syntax and has no description.
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match "^\s*$([regex]::Escape($Name))\s+\["
        ($help.description.Text -join '') | Should -Not -BeNullOrEmpty
    }

    It 'has at least one example, each with code that parses' {
        $examples = @($help.examples.example)
        $examples.Count | Should -BeGreaterThan 0
        foreach ($example in $examples) {
            $example.code | Should -Not -BeNullOrEmpty
            $errors = $null
            $null = [Management.Automation.Language.Parser]::ParseInput($example.code, [ref]$null, [ref]$errors)
            $errors | Should -BeNullOrEmpty -Because "the code of '$($example.title.Trim('- '))' should parse"
        }
    }

    It 'documents every parameter and no parameter it does not have' {
        # Hidden parameters ([Parameter(DontShow)]) need no help.
        $real = @($command.Parameters.Values | Where-Object {
                $_.Name -notin $Common -and -not ($_.Attributes | Where-Object { $_ -is [Parameter] -and $_.DontShow }) } |
            ForEach-Object Name | Sort-Object)
        $documented = @($help.parameters.parameter | ForEach-Object name | Sort-Object)
        $documented | Should -Be $real
    }

    It 'shows the default each parameter really has (a new cmdlet''s value), not None' {
        $instance = [Activator]::CreateInstance($command.ImplementingType)
        foreach ($parameter in @($help.parameters.parameter)) {
            $property = $instance.GetType().GetProperty($parameter.name)
            if (-not $property) { continue }   # -WhatIf and -Confirm belong to PowerShell
            $value = $property.GetValue($instance)
            $expected = if ($value -is [switch]) { "$($value.IsPresent)" }
                elseif ($value -is [array]) { if ($value.Count) { $value -join ', ' } }
                elseif ($null -ne $value -and "$value" -ne '') { [Convert]::ToString($value, [cultureinfo]::InvariantCulture) }
            if ($null -ne $expected) { $parameter.defaultValue | Should -Be $expected -Because "-$($parameter.name) defaults to $expected" }
        }
    }

    It 'describes every parameter' {
        $undescribed = @($help.parameters.parameter | Where-Object { -not (($_.description.Text -join '').Trim()) } | ForEach-Object name)
        $undescribed | Should -BeNullOrEmpty
    }
}

Describe 'Default values in help' {
    It 'shows <Command> -<Parameter> defaulting to <Expected>' -ForEach @(
        @{ Command = 'Start-CnnTraining'; Parameter = 'Epochs'; Expected = '5' }
        @{ Command = 'Start-CnnTraining'; Parameter = 'BatchSize'; Expected = '64' }
        @{ Command = 'Start-CnnTraining'; Parameter = 'Optimizer'; Expected = 'RmsProp' }
        @{ Command = 'Start-CnnTraining'; Parameter = 'LearningRate'; Expected = '0.001 (0.01 for Sgd)' }
        @{ Command = 'Start-CnnTraining'; Parameter = 'NoReport'; Expected = 'False' }
        @{ Command = 'New-CnnLayer'; Parameter = 'Rate'; Expected = '0.5' }
        @{ Command = 'Invoke-CnnPredict'; Parameter = 'Top'; Expected = '3' }) {
        (Get-Help $Command -Parameter $Parameter).defaultValue | Should -Be $Expected
    }

    It 'keeps a stated "Default value:" line out of the parameter''s description' {
        ((Get-Help Start-CnnTraining -Parameter LearningRate).description.Text -join ' ') | Should -Not -Match 'Default value:'
    }
}

Describe 'about_MnistCnn topics' {
    It 'Get-Help <Topic> shows <Source> as an about topic' -ForEach @(
        @{ Topic = 'about_MnistCnn'; Source = 'README.md' }
        @{ Topic = 'about_MnistCnn_Install'; Source = 'docs/install.md' }
        @{ Topic = 'about_MnistCnn_Experiments'; Source = 'docs/experiments.md' }
        @{ Topic = 'about_MnistCnn_Tracking'; Source = 'docs/tracking.md' }) {
        $text = (Get-Help $Topic | Out-String) -replace '\r', ''
        $text | Should -Match "(?m)^TOPIC\s*\n\s+$Topic\s*$"
        $text | Should -Match '(?m)^SHORT DESCRIPTION'
        $text | Should -Not -Match '```' -Because 'code fences become indented code'
        # Every second-level heading of the document is there, in capitals, and so is a code line, indented.
        $markdown = Get-Content (Join-Path $RepoRoot $Source)
        $headings = @($markdown | Where-Object { $_ -match '^## ' } | ForEach-Object { ($_ -replace '^## ', '' -replace '`', '').Trim().ToUpperInvariant() })
        $headings.Count | Should -BeGreaterThan 1
        foreach ($heading in $headings) { $text | Should -Match ('(?m)^\s+' + [regex]::Escape($heading) + '\s*$') }
        $code = $markdown | Where-Object { $_ -match '^(Import-|Invoke-|Install-CnnBackend|Get-CnnRun|dotnet )' } | Select-Object -First 1
        if ($code) { $text | Should -Match ('(?m)^\s{8}' + [regex]::Escape($code.TrimEnd())) }
    }

    It 'lists all four topics with Get-Help about_MnistCnn*' {
        @(Get-Help about_MnistCnn* | ForEach-Object Name | Sort-Object) | Should -Be 'about_MnistCnn', 'about_MnistCnn_Experiments', 'about_MnistCnn_Install', 'about_MnistCnn_Tracking'
    }
}
