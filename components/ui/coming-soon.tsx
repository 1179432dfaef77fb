export function ComingSoon(props: { title: string; what: string }) {
  return (
    <>
      <h1>{props.title}</h1>
      <p className="notice">
        Not built yet: {props.what} This page is in place so that navigation, sign-in and role checks can be
        used and tested today.
      </p>
    </>
  );
}
