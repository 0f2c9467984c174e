# build.ps1's Clean task, run on a copy of build.ps1 in a made-up tree (so this checkout's build is never touched).
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    # PowerShell itself: this process's host and pwsh.dll, startable from any folder.
    $dotnet = [Environment]::ProcessPath
    $pwshDll = [Environment]::GetCommandLineArgs()[0]
}

Describe 'build.ps1 Clean' {
    BeforeAll {
        $tree = Join-Path $TestDrive 'repo'
        Copy-Item (Join-Path $RepoRoot 'build.ps1') (New-Item -ItemType Directory -Force $tree)
        # Every kind of project the repository has, each with build output.
        $projects = 'src/Core/Core.csproj', 'src/Cmdlets/Cmdlets.csproj', 'tests/Core.Tests/Core.Tests.csproj', 'tests/Module/Pester.proj',
            'scripts/gpu/GpuCheck/GpuCheck.csproj', 'scripts/benchmarks/Bench/Bench.csproj', 'tools/GlibcxxCompat/GlibcxxCompat.csproj',
            'experiments/Experiments.proj'
        foreach ($project in $projects) {
            $folder = Split-Path (Join-Path $tree $project)
            $null = New-Item -ItemType File -Force (Join-Path $tree $project), (Join-Path $folder 'Program.cs'),
                (Join-Path $folder 'bin/Release/net10.0/app.dll'), (Join-Path $folder 'obj/project.assets.json')
        }
        $null = New-Item -ItemType File -Force (Join-Path $tree 'out/MnistCnn/MnistCnn.psd1'),
            # Folders called bin or obj that are not beside a project are not build output: they stay.
            (Join-Path $tree 'examples/bin/keep.txt'), (Join-Path $tree 'src/Core/Data/obj/keep.cs')
        $log = & $dotnet $pwshDll -NoLogo -NoProfile -NonInteractive -File (Join-Path $tree 'build.ps1') Clean 2>&1
        $exit = $LASTEXITCODE
    }

    It 'succeeds' {
        $exit | Should -Be 0 -Because ($log -join "`n")
    }

    It 'removes out/' {
        Join-Path $tree 'out' | Should -Not -Exist
    }

    It 'removes bin/ and obj/ of <_>' -ForEach @('src/Core', 'src/Cmdlets', 'tests/Core.Tests', 'tests/Module', 'scripts/gpu/GpuCheck', 'scripts/benchmarks/Bench', 'tools/GlibcxxCompat', 'experiments') {
        Join-Path $tree "$_/bin" | Should -Not -Exist
        Join-Path $tree "$_/obj" | Should -Not -Exist
        Join-Path $tree "$_/Program.cs" | Should -Exist
    }

    It 'keeps bin/ and obj/ folders that are not beside a project' {
        Join-Path $tree 'examples/bin/keep.txt' | Should -Exist
        Join-Path $tree 'src/Core/Data/obj/keep.cs' | Should -Exist
    }
}
