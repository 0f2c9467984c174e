# Test-CnnExperiment: checks spec files without training; every problem with its file, line and code.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $Experiments = Join-Path $PSScriptRoot '../../experiments'
    $work = Join-Path ([IO.Path]::GetTempPath()) ("test-cnnexperiment-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $null = New-Item -ItemType Directory -Force $work
}

AfterAll {
    Remove-Item -Recurse -Force $work -ErrorAction Ignore
}

Describe 'Test-CnnExperiment' {
    It 'finds every committed spec valid, with its name and trials' {
        $checks = @(Get-ChildItem (Join-Path $Experiments '*.yaml') | Test-CnnExperiment)
        $checks.Count | Should -BeGreaterThan 3
        $checks | ForEach-Object {
            $_ | Should -BeOfType MnistCnn.Core.Experiments.Sweeps.ExperimentSpecCheck
            $_.IsValid | Should -BeTrue -Because "$($_.Path): $($_.Diagnostics -join '; ')"
            $_.TrialCount | Should -BeGreaterThan 0
        }
        ($checks | Where-Object Name -eq 'keras-seed').TrialCount | Should -Be 1
    }

    It 'reports an unknown key at its line with MNC1002, and -Quiet says $false' {
        $spec = Join-Path $work 'typo.yaml'
        Set-Content $spec "name: typo`nmodel:`n  preset: keras-seed`ntraining:`n  epohcs: 3`n"
        $check = Test-CnnExperiment $spec
        $check.IsValid | Should -BeFalse
        $check.TrialCount | Should -Be 0
        $d = @($check.Diagnostics | Where-Object Code -eq 'MNC1002')
        $d.Count | Should -Be 1
        $d[0].Line | Should -Be 5
        $d[0].File | Should -Be $spec
        $d[0].Message | Should -Match 'epohcs'
        Test-CnnExperiment $spec -Quiet | Should -BeExactly $false
    }

    It 'reports training settings that fail validation with MNC1007, at the line and naming the key' {
        $spec = Join-Path $work 'range.yaml'
        Set-Content $spec "name: range`nmodel:`n  preset: keras-seed`ntraining:`n  epochs: -2`n"
        $check = Test-CnnExperiment $spec
        $check.IsValid | Should -BeFalse
        $d = @($check.Diagnostics | Where-Object Code -eq 'MNC1007')
        $d.Count | Should -Be 1
        $d[0].Line | Should -Be 5
        $d[0].Message | Should -Match '(?i)epochs'
    }

    It 'reports a file it cannot read with MNC1012 instead of throwing' {
        $check = Test-CnnExperiment (Join-Path $work 'no-such-spec.yaml')
        $check.IsValid | Should -BeFalse
        @($check.Diagnostics.Code) | Should -Contain 'MNC1012'
    }

    It 'says $true with -Quiet for a valid spec, and nothing else' {
        $out = @(Test-CnnExperiment (Join-Path $Experiments 'keras-seed.yaml') -Quiet)
        $out.Count | Should -Be 1
        $out[0] | Should -BeExactly $true
    }
}
