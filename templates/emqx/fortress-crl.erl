%% mqtt-fortress: the certificate revocation list (CRL) server of an EMQX cluster. Evaluated by
%% the EMQX image's own Erlang runtime (erl -noshell -eval), in a pod of its own under its own UID;
%% only this pod mounts the client CA's key.
%%
%% Signs a CRL from the declared list (FORTRESS_CRL_INDEX, the `openssl ca` index the kit renders
%% for Mosquitto too) with the client CA (FORTRESS_CRL_CA: tls.crt, tls.key), checks that it
%% verifies against the client CA bundle the listeners trust (FORTRESS_CRL_TRUST), and serves it
%% over HTTP on FORTRESS_CRL_PORT:
%%   GET /crl.pem   200 the PEM CRL; 503 while no CRL has been signed
%%   GET /healthz   200 while a CRL is served and before its nextUpdate; 503 otherwise
%% EMQX fetches /crl.pem from the CRL distribution point URL in each client certificate
%% (emqx_ssl_crl_cache) and refreshes it every crl_cache.refresh_interval (emqx_crl_cache).
%%
%% Every FORTRESS_CRL_CHECK_MS the files are read again: the CRL is signed again when the list or
%% a CA file changed, or when it is older than FORTRESS_CRL_REFRESH seconds (it is valid
%% FORTRESS_CRL_HOURS). Refused, keeping the CRL served so far (logged): a list line that is not a
%% revoked entry in the kit's form (an edited ConfigMap), a CA whose key does not produce a CRL
%% verifying against the trusted bundle, an Ed25519/Ed448 CA key (not supported here).
Env = fun(K) -> case os:getenv(K) of false -> erlang:error({missing_env, K}); V -> V end end,
IndexPath = Env("FORTRESS_CRL_INDEX"),
CaDir = Env("FORTRESS_CRL_CA"),
TrustPath = Env("FORTRESS_CRL_TRUST"),
Hours = list_to_integer(Env("FORTRESS_CRL_HOURS")),
RefreshS = list_to_integer(Env("FORTRESS_CRL_REFRESH")),
Port = list_to_integer(Env("FORTRESS_CRL_PORT")),
CheckMs = list_to_integer(os:getenv("FORTRESS_CRL_CHECK_MS", "10000")),
Log = fun(Fmt, Args) ->
    {{Y, Mo, D}, {H, Mi, S}} = calendar:universal_time(),
    io:format(standard_error, "~4..0B-~2..0B-~2..0BT~2..0B:~2..0B:~2..0BZ fortress-crl: " ++ Fmt ++ "~n", [Y, Mo, D, H, Mi, S | Args])
end,
Now = fun() -> erlang:system_time(second) end,
%% ASN.1 UTCTime of a Unix time (valid to 2049, as the kit's revokedAt).
Utc = fun(T) ->
    {{Y, Mo, D}, {H, Mi, S}} = calendar:gregorian_seconds_to_datetime(T + 62167219200),
    {utcTime, lists:flatten(io_lib:format("~2..0B~2..0B~2..0B~2..0B~2..0B~2..0BZ", [Y rem 100, Mo, D, H, Mi, S]))}
end,
Reasons = #{<<"unspecified">> => 0, <<"keyCompromise">> => 1, <<"CACompromise">> => 2, <<"affiliationChanged">> => 3, <<"superseded">> => 4, <<"cessationOfOperation">> => 5},
LineRe = "^R\t([0-9]{12}Z)\t([0-9]{12}Z),(unspecified|keyCompromise|CACompromise|affiliationChanged|superseded|cessationOfOperation)\t([0-9A-F]{2,40})\tunknown\t/CN=[A-Za-z0-9._-]{1,128}$",
%% The declared list: {ok, [{Serial, UtcTime, ReasonCode}]} or {error, Why}.
ParseIndex = fun(Bin) ->
    Plain = case lists:suffix(".gz", IndexPath) of true -> zlib:gunzip(Bin); false -> Bin end,
    Lines = [L || L <- binary:split(Plain, <<"\n">>, [global]), L =/= <<>>],
    Parsed = [re:run(L, LineRe, [{capture, all_but_first, binary}]) || L <- Lines],
    case length([x || nomatch <- Parsed]) of
        0 -> {ok, [{binary_to_integer(Serial, 16), {utcTime, binary_to_list(At)}, maps:get(Reason, Reasons)} || {match, [At, _, Reason, Serial]} <- Parsed]};
        Bad -> {error, io_lib:format("~B line(s) of ~s are not revoked entries", [Bad, IndexPath])}
    end
end,
Certs = fun(Pem) -> [Der || {'Certificate', Der, not_encrypted} <- public_key:pem_decode(Pem)] end,
%% Public key of a certificate (OTP form), as public_key:verify/4 takes it.
PubKey = fun(Der) ->
    {'OTPCertificate', Tbs, _, _} = public_key:pkix_decode_cert(Der, otp),
    {'OTPSubjectPublicKeyInfo', {'PublicKeyAlgorithm', _, Params}, Key} = element(8, Tbs),
    case Key of {'ECPoint', _} -> {Key, Params}; _ -> Key end
end,
Subject = fun(Der) -> element(7, element(2, public_key:pkix_decode_cert(Der, plain))) end,
%% Signs a CRL: {ok, Pem, NextUpdate} or {error, Why}.
Sign = fun(Revoked, Number) ->
    {ok, CaPem} = file:read_file(filename:join(CaDir, "tls.crt")),
    {ok, KeyPem} = file:read_file(filename:join(CaDir, "tls.key")),
    {ok, TrustPem} = file:read_file(TrustPath),
    [CaDer | _] = Certs(CaPem),
    [KeyEntry | _] = [E || {T, _, not_encrypted} = E <- public_key:pem_decode(KeyPem), lists:member(T, ['RSAPrivateKey', 'ECPrivateKey', 'PrivateKeyInfo'])],
    Key = public_key:pem_entry_decode(KeyEntry),
    AlgId = case element(1, Key) of
        'RSAPrivateKey' -> {'AlgorithmIdentifier', {1, 2, 840, 113549, 1, 1, 11}, <<5, 0>>};
        'ECPrivateKey' -> {'AlgorithmIdentifier', {1, 2, 840, 10045, 4, 3, 2}, asn1_NOVALUE};
        Other -> throw(io_lib:format("the CA key type ~p cannot sign here (use an RSA or ECDSA CA)", [Other]))
    end,
    T0 = Now(),
    Next = T0 + Hours * 3600,
    Entries = [{'TBSCertList_revokedCertificates_SEQOF', Serial, At, [{'Extension', {2, 5, 29, 21}, false, <<10, 1, Code>>}]} || {Serial, At, Code} <- lists:keysort(1, Revoked)],
    Tbs = {'TBSCertList', v2, AlgId, Subject(CaDer), Utc(T0), Utc(Next), case Entries of [] -> asn1_NOVALUE; _ -> Entries end,
           [{'Extension', {2, 5, 29, 20}, false, public_key:der_encode('CRLNumber', Number)}]},
    TbsDer = public_key:der_encode('TBSCertList', Tbs),
    Sig = public_key:sign(TbsDer, sha256, Key),
    Der = public_key:der_encode('CertificateList', {'CertificateList', Tbs, AlgId, Sig}),
    %% It must verify against a CA of the bundle the listeners trust, with the same subject.
    Issuer = Subject(CaDer),
    Trusted = [C || C <- Certs(TrustPem), Subject(C) =:= Issuer, public_key:verify(TbsDer, sha256, Sig, PubKey(C))],
    case Trusted of
        [] -> {error, "the signed CRL does not verify against any CA of " ++ TrustPath};
        _ -> {ok, public_key:pem_encode([{'CertificateList', Der, not_encrypted}]), Next}
    end
end,
Fingerprint = fun() ->
    Files = [IndexPath, filename:join(CaDir, "tls.crt"), filename:join(CaDir, "tls.key"), TrustPath],
    crypto:hash(sha256, [case file:read_file(F) of {ok, B} -> [B, <<0>>]; _ -> <<"missing", 0>> end || F <- Files])
end,
%% State: {Fingerprint, SignedAt, CrlNumber}; the served CRL is in persistent_term fortress_crl.
Cycle = fun(Self, {Fp0, SignedAt, N0}) ->
    Fp = Fingerprint(),
    T = Now(),
    Has = persistent_term:get(fortress_crl, undefined) =/= undefined,
    State = case Has andalso Fp =:= Fp0 andalso T - SignedAt < RefreshS of
        true -> {Fp0, SignedAt, N0};
        false ->
            N = max(N0 + 1, T),
            Result = try
                {ok, IndexBin} = file:read_file(IndexPath),
                case ParseIndex(IndexBin) of
                    {ok, Revoked} -> {Sign(Revoked, N), length(Revoked)};
                    {error, _} = E -> {E, 0}
                end
            catch
                throw:Why -> {{error, Why}, 0};
                C:R -> {{error, io_lib:format("cannot read or sign (~p:~P)", [C, R, 8])}, 0}
            end,
            case Result of
                {{ok, Pem, Next}, Count} ->
                    persistent_term:put(fortress_crl, {Pem, Next}),
                    Log(case Fp =:= Fp0 of true -> "CRL signed again before it expires (~B revoked, valid ~Bh)"; false -> "signed the CRL (~B revoked, valid ~Bh)" end, [Count, Hours]),
                    {Fp, T, N};
                {{error, Why2}, _} ->
                    Log("refused: ~s; ~s", [Why2, case Has of true -> "keeping the CRL served so far"; false -> "no CRL is served yet" end]),
                    %% Retried at the next check: the fingerprint is not recorded.
                    {Fp0, SignedAt, N}
            end
    end,
    receive stop -> ok after CheckMs -> Self(Self, State) end
end,
Signer = spawn_link(fun() -> Cycle(Cycle, {<<>>, 0, 0}) end),
_ = Signer,
Reply = fun(Sock, Code, Type, Body) ->
    Status = case Code of 200 -> "200 OK"; 404 -> "404 Not Found"; 405 -> "405 Method Not Allowed"; 503 -> "503 Service Unavailable" end,
    gen_tcp:send(Sock, [<<"HTTP/1.1 ">>, Status, <<"\r\nContent-Type: ">>, Type, <<"\r\nContent-Length: ">>, integer_to_binary(iolist_size(Body)),
                        <<"\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n">>, Body])
end,
%% Reads the request head (at most 64 header lines, 5 s), answers, closes.
Handle = fun(Sock) ->
    Headers = fun H(0) -> error; H(Left) -> case gen_tcp:recv(Sock, 0, 5000) of {ok, http_eoh} -> ok; {ok, {http_header, _, _, _, _}} -> H(Left - 1); _ -> error end end,
    case gen_tcp:recv(Sock, 0, 5000) of
        {ok, {http_request, Method, {abs_path, Path}, _}} ->
            case Headers(64) of
                ok ->
                    Served = persistent_term:get(fortress_crl, undefined),
                    case {Method, Path, Served} of
                        {'GET', <<"/crl.pem">>, {Pem, _}} -> Reply(Sock, 200, <<"application/x-pem-file">>, Pem);
                        {'GET', <<"/crl.pem">>, undefined} -> Reply(Sock, 503, <<"text/plain">>, <<"no CRL signed yet\n">>);
                        {'GET', <<"/healthz">>, {_, Next}} ->
                            case Now() < Next of
                                true -> Reply(Sock, 200, <<"text/plain">>, <<"ok\n">>);
                                false -> Reply(Sock, 503, <<"text/plain">>, <<"the served CRL has expired\n">>)
                            end;
                        {'GET', <<"/healthz">>, undefined} -> Reply(Sock, 503, <<"text/plain">>, <<"no CRL signed yet\n">>);
                        {'GET', _, _} -> Reply(Sock, 404, <<"text/plain">>, <<"not found\n">>);
                        _ -> Reply(Sock, 405, <<"text/plain">>, <<"GET only\n">>)
                    end;
                error -> ok
            end;
        _ -> ok
    end,
    gen_tcp:close(Sock)
end,
{ok, Listen} = gen_tcp:listen(Port, [binary, {packet, http_bin}, {active, false}, {reuseaddr, true}, {backlog, 128}]),
Log("serving /crl.pem on port ~B", [Port]),
Accept = fun A() ->
    case gen_tcp:accept(Listen) of
        {ok, Sock} ->
            Pid = spawn(fun() -> receive go -> Handle(Sock) end end),
            ok = gen_tcp:controlling_process(Sock, Pid),
            Pid ! go,
            A();
        {error, Reason} ->
            Log("accept failed: ~p", [Reason]),
            halt(1)
    end
end,
Accept().
