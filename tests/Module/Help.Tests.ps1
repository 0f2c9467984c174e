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

    It 'describes every parameter' {
        $undescribed = @($help.parameters.parameter | Where-Object { -not (($_.description.Text -join '').Trim()) } | ForEach-Object name)
        $undescribed | Should -BeNullOrEmpty
    }
}
