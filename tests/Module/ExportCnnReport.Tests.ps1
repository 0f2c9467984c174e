# Export-CnnReport on input it cannot report on. (Reports of real runs and sweeps are written in
# Experiments.Tests.ps1, which trains the sweep they need once.)
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $work = Join-Path ([IO.Path]::GetTempPath()) ("export-cnnreport-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $null = New-Item -ItemType Directory -Force $work
}

AfterAll {
    Remove-Item -Recurse -Force $work -ErrorAction Ignore
}

Describe 'Export-CnnReport' {
    It 'reports a run folder that does not exist with RunResultNotFound and writes nothing' {
        $missing = Join-Path $work 'no-such-run'
        $out = @([pscustomobject]@{ OutputPath = $missing } | Export-CnnReport -Path (Join-Path $work 'report') -ErrorVariable err -ErrorAction SilentlyContinue)
        $out.Count | Should -Be 0
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'RunResultNotFound,MnistCnn.Cmdlets.ExportCnnReportCommand'
        "$($err[0].CategoryInfo.Category)" | Should -Be 'ObjectNotFound'
        $err[0].Exception.Message | Should -Match 'does not exist, and the run has no ServerRunId'
        Test-Path (Join-Path $work 'report') | Should -BeFalse
    }

    It 'reports a folder without result.json as no run, saying why' {
        $empty = New-Item -ItemType Directory -Force (Join-Path $work 'empty-run')
        $null = [pscustomobject]@{ OutputPath = $empty.FullName } | Export-CnnReport -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'RunResultNotFound,MnistCnn.Cmdlets.ExportCnnReportCommand'
        $err[0].Exception.Message | Should -Match 'has no readable result\.json'
        $err[0].TargetObject | Should -Be $empty.FullName
    }

    It 'does not bind an object that names neither a run folder nor an MLflow run' {
        $null = [pscustomobject]@{ Name = 'x' } | Export-CnnReport -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'InputObjectNotBound,MnistCnn.Cmdlets.ExportCnnReportCommand'
    }
}
