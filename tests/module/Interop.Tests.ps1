# The module's side of the C ABI agrees with include/native_token.h: every result code the
# header declares is a member of the module's NativeResult enum (the internal type behind the
# error ids NativeToken.<Kind>), with the same value, and the enum has no member the header lacks.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force

    # NT_INVALID_ARGUMENT -> InvalidArgument: the header's names in the module's (and
    # nt_result_name's) spelling.
    function ConvertTo-PascalName([string] $HeaderName) {
        $parts = $HeaderName.Substring('NT_'.Length).ToLowerInvariant().Split('_')
        -join @($parts | ForEach-Object { $_.Substring(0, 1).ToUpperInvariant() + $_.Substring(1) })
    }

    # The members of `enum nt_result` in the header, in order: Name (as written), Value.
    $headerPath = Join-Path (Get-NtRepoRoot) (Join-Path 'include' 'native_token.h')
    $header = Get-Content -LiteralPath $headerPath -Raw
    $enumBody = [regex]::Match($header, '(?s)enum nt_result\b[^{]*\{(?<body>.*?)\};').Groups['body'].Value
    $HeaderCodes = @([regex]::Matches($enumBody, '(?m)^\s*(?<name>NT_[A-Z0-9_]+)\s*=\s*(?<value>\d+)\s*,') | ForEach-Object {
            [pscustomobject]@{ Name = $_.Groups['name'].Value; Value = [uint32]$_.Groups['value'].Value }
        })

    # The enum as the loaded module has it (internal: reached by reflection on NativeToken.dll).
    $runspace = New-NtRunspace
    $assembly = (Invoke-NtScript $runspace '[NativeToken.Takeover].Assembly').Output[0]
    $EnumType = $assembly.GetType('NativeToken.Interop.NativeResult', $true)
    $Members = @($EnumType.GetFields([System.Reflection.BindingFlags]'Public,Static') | ForEach-Object {
            [pscustomobject]@{ Name = $_.Name; Value = [uint32]$_.GetRawConstantValue() }
        })
    $nameMethod = $assembly.GetType('NativeToken.Interop.NativeResults', $true).GetMethod('Name', [System.Reflection.BindingFlags]'NonPublic,Static')
    function Get-ResultName([uint32] $Value) { $nameMethod.Invoke($null, @([Enum]::ToObject($EnumType, $Value))) }
}

AfterAll {
    if ($runspace) { $runspace.Dispose() }
}

Describe 'NativeResult' {
    It 'reads the result codes from the header' {
        $HeaderCodes.Count | Should -BeGreaterThan 10 -Because "$headerPath declares enum nt_result"
        $HeaderCodes[0].Name | Should -BeExactly 'NT_OK'
        $HeaderCodes[0].Value | Should -Be 0
    }

    It 'is a uint32 enum, as nt_result is on the wire' {
        [Enum]::GetUnderlyingType($EnumType) | Should -Be ([uint32])
    }

    It 'has every code of the header under its PascalCase name, with the same value' {
        foreach ($code in $HeaderCodes) {
            $name = ConvertTo-PascalName $code.Name
            $member = @($Members | Where-Object Name -CEQ $name)
            $member.Count | Should -Be 1 -Because "$($code.Name) is in the header"
            $member[0].Value | Should -Be $code.Value -Because "$($code.Name) = $($code.Value) in the header"
        }
    }

    It 'has no member the header does not declare' {
        $declared = @($HeaderCodes | ForEach-Object { ConvertTo-PascalName $_.Name })
        @($Members | Where-Object { $declared -cnotcontains $_.Name } | ForEach-Object Name) | Should -BeNullOrEmpty
        @($Members | ForEach-Object Value | Sort-Object -Unique).Count | Should -Be $Members.Count -Because 'no two members share a value'
    }

    It 'names each code as the error ids do, and a code it does not know Unknown' {
        foreach ($code in $HeaderCodes) {
            Get-ResultName $code.Value | Should -BeExactly (ConvertTo-PascalName $code.Name)
        }
        $next = ($HeaderCodes | Measure-Object -Property Value -Maximum).Maximum + 1
        Get-ResultName $next | Should -BeExactly 'Unknown'
    }
}
