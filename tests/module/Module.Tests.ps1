# The manifest, what the module exports, and importing it.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $ModulePath = Get-NtTestModulePath
    $Commands = @('New-ArmorApiToken', 'New-VcToken', 'Update-ArmorApiToken')
}

Describe 'Module manifest' {
    BeforeAll {
        $manifest = Test-ModuleManifest -Path $ModulePath -ErrorAction Stop
        $manifestText = Get-Content -LiteralPath $ModulePath -Raw
    }

    It 'is a valid manifest for PowerShell 5.1 and later, on both editions' {
        $manifest.RootModule | Should -Be 'NativeToken.psm1'
        $manifest.PowerShellVersion | Should -Be ([version]'5.1')
        @($manifest.CompatiblePSEditions | Sort-Object) | Should -Be @('Core', 'Desktop')
        $manifest.Guid | Should -Not -Be ([guid]::Empty)
        $manifest.Description | Should -Not -BeNullOrEmpty
        $manifest.Tags | Should -Not -BeNullOrEmpty
    }

    It 'declares exactly New-VcToken, New-ArmorApiToken, Update-ArmorApiToken and the variable VenafiSession' {
        @($manifest.ExportedCommands.Keys | Sort-Object) | Should -Be $Commands
        @($manifest.ExportedVariables.Keys) | Should -Be @('VenafiSession')
        @($manifest.ExportedAliases.Keys) | Should -BeNullOrEmpty
    }

    It 'lists its exports explicitly, without wildcards' -ForEach @(
        @{ Key = 'FunctionsToExport' }, @{ Key = 'CmdletsToExport' }, @{ Key = 'VariablesToExport' }, @{ Key = 'AliasesToExport' }
    ) {
        # An absent key means '*' (everything) to PowerShell, so each one must be written out.
        $line = [regex]::Match($manifestText, "(?m)^\s*$Key\s*=\s*(.*)$")
        $line.Success | Should -BeTrue -Because "the manifest must set $Key"
        $line.Groups[1].Value | Should -Not -Match '\*'
    }

    It 'has the version of the native crate it ships' -Tag 'Compiled' {
        # The module and the crate are versioned together (0.2.0 with the compiled module): the
        # manifest's version is the one the shipped library reports.
        $manifest.Version | Should -Be ([version](Get-NtNativeVersion))
    }

    It 'declares the commands as cmdlets of the nested NativeToken.dll' -Tag 'Compiled' {
        @($manifest.ExportedCmdlets.Keys | Sort-Object) | Should -Be $Commands
        @($manifest.ExportedFunctions.Keys) | Should -BeNullOrEmpty
        @($manifest.NestedModules | ForEach-Object Name) | Should -Contain 'NativeToken'
    }

    It 'lists every file of the module folder in FileList, and only those' -Tag 'Compiled' {
        # Publish-PSResource and Install-PSResource rely on FileList being complete.
        $folder = Split-Path -Parent $ModulePath
        $onDisk = @(Get-ChildItem -LiteralPath $folder -Recurse -File | ForEach-Object FullName | Sort-Object)
        $listed = @($manifest.FileList | ForEach-Object { [System.IO.Path]::GetFullPath($_) } | Sort-Object)
        $listed | Should -Be $onDisk
    }
}

Describe 'Imported module' {
    It 'adds exactly New-VcToken, New-ArmorApiToken and Update-ArmorApiToken to the session, and the variable VenafiSession (no takeover alias: neither original is installed here)' {
        $runspace = New-NtRunspace -NoModule
        $result = Invoke-NtScript -Runspace $runspace -Script @'
            $before = @(Get-Command -ListImported -CommandType Function, Cmdlet, Alias | ForEach-Object Name)
            $m = Import-Module -Name $Path -PassThru -ErrorAction Stop
            [pscustomobject]@{
                # Importing may autoload PowerShell's own modules: only what is new and not theirs counts.
                Added     = @(Get-Command -ListImported -CommandType Function, Cmdlet, Alias |
                        Where-Object { $_.Name -notin $before -and $_.ModuleName -in @('NativeToken', '') } | ForEach-Object Name | Sort-Object)
                Exported  = @($m.ExportedCommands.Keys | Sort-Object)
                Variables = @($m.ExportedVariables.Keys)
                Aliases   = @($m.ExportedAliases.Keys)
                InModule  = @(Get-Command -Module NativeToken | ForEach-Object Name | Sort-Object)
            }
'@ -Variables @{ Path = $ModulePath }
        $runspace.Dispose()
        $result.Succeeded | Should -BeTrue
        $info = $result.Output[0]
        # Nothing else of the module (no helper) becomes visible to the user.
        $info.Added | Should -Be $Commands
        $info.Exported | Should -Be $Commands
        $info.InModule | Should -Be $Commands
        $info.Variables | Should -Be @('VenafiSession')
        $info.Aliases | Should -BeNullOrEmpty
    }

    It 'exports $VenafiSession, which is $null before any call' {
        $result = Invoke-NtScript -Script '$null -eq $VenafiSession; $ExecutionContext.SessionState.PSVariable.Get("VenafiSession").Name'
        $result.Succeeded | Should -BeTrue
        $result.Output[0] | Should -BeTrue
        $result.Output[1] | Should -BeExactly 'VenafiSession'
    }

    It 'makes every command a compiled cmdlet' -Tag 'Compiled' -ForEach @(
        @{ Name = 'New-VcToken'; Type = 'NativeToken.Commands.NewVcTokenCommand' }
        @{ Name = 'New-ArmorApiToken'; Type = 'NativeToken.Commands.NewArmorApiTokenCommand' }
        @{ Name = 'Update-ArmorApiToken'; Type = 'NativeToken.Commands.UpdateArmorApiTokenCommand' }
    ) {
        $result = Invoke-NtScript -Script '$c = Get-Command $Name; [string]$c.CommandType; $c.ImplementingType.FullName; $c.ImplementingType.IsSealed' -Variables @{ Name = $Name }
        $result.Succeeded | Should -BeTrue
        $result.Output[0] | Should -BeExactly 'Cmdlet'
        $result.Output[1] | Should -BeExactly $Type
        $result.Output[2] | Should -BeTrue
    }

    It 'imports in a fresh runspace within 500 ms once the engine is warm' {
        # The first import in a process pays for JIT; after that an import is what a new runspace
        # (ForEach-Object -Parallel, a runspace pool) pays.
        (New-NtRunspace).Dispose()
        $times = foreach ($i in 1..3) {
            $runspace = New-NtRunspace -NoModule
            try {
                $import = Invoke-NtScript $runspace 'Import-Module -Name $Path -ErrorAction Stop' @{ Path = $ModulePath }
                $import.Succeeded | Should -BeTrue
                $import.Elapsed.TotalMilliseconds
            }
            finally { $runspace.Dispose() }
        }
        ($times | Measure-Object -Minimum).Minimum | Should -BeLessThan 500
    }

    It 'can be imported again with -Force and still fetches tokens' {
        $emulator = Start-NtEmulator
        try {
            $result = Invoke-NtScript -Script @'
                Import-Module -Name $Path -Force -ErrorAction Stop
                @(Get-Command -Module NativeToken).Count
                (New-VcToken -Endpoint $Endpoint -Jwt $Jwt).Endpoint
'@ -Variables @{ Path = $ModulePath; Endpoint = (Get-NtTlspcEndpoint $emulator); Jwt = (New-NtJwt) }
            $result.Succeeded | Should -BeTrue
            $result.Output[0] | Should -Be 3
            $result.Output[1] | Should -BeExactly (Get-NtTlspcEndpoint $emulator)
        }
        finally { Stop-NtEmulator $emulator }
    }
}

Describe 'Import without the native library for this platform' {
    BeforeAll {
        # A copy of the module without lib/, imported by a fresh pwsh: this process keeps the
        # module it already loaded.
        $platform = Get-NtPlatform
        $copyRoot = New-NtTempFolder
        $copy = Join-Path $copyRoot 'NativeToken'
        Copy-Item -LiteralPath (Split-Path -Parent $ModulePath) -Destination $copy -Recurse
        Remove-Item -LiteralPath (Join-Path $copy 'lib') -Recurse -Force -ErrorAction SilentlyContinue
        $copyManifest = Join-Path $copy (Split-Path -Leaf $ModulePath)
        $steps = Invoke-NtProcess -NoModule -Step 'Import-Module -Name $Path', '@(Get-Module NativeToken).Count' -Variables @{ Path = $copyManifest }
    }
    AfterAll { Remove-NtTempFolder $copyRoot }

    It 'fails to import, saying which platform and which folder it looked in' {
        $steps[0].Succeeded | Should -BeFalse
        $message = $steps[0].Error.Message
        $message | Should -Match ([regex]::Escape($platform.Rid))
        $message | Should -Match ([regex]::Escape([System.IO.Path]::Combine($copy, 'lib', $platform.Rid)))
    }

    It 'leaves no half-loaded module behind' {
        $steps[1].Output[0] | Should -Be 0
    }
}
